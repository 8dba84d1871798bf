"""Which known articles a re-crawl fetches again (crawler/incremental.py): one the sitemap says
changed since we fetched it, conditionally; the others not until they are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.history import KnownPage
from crawler.incremental import Revisits

URL = "http://127.0.0.1/news/1/"


def revisits(fetched: datetime) -> Revisits:
    return Revisits(known={URL: KnownPage(URL, fetched.isoformat(), '"v1"', None)})


def test_a_lastmod_after_our_fetch_has_the_article_fetched_again_conditionally() -> None:
    fetched = datetime.now(UTC) - timedelta(days=2)
    assert revisits(fetched).decide(URL, (fetched + timedelta(hours=1)).isoformat()) == "conditional"
    assert revisits(fetched).decide(URL, (fetched - timedelta(hours=1)).isoformat()) == "skip"
    assert revisits(fetched).decide(URL) == "skip"


def test_a_lastmod_in_the_future_says_nothing_and_the_article_waits_until_due() -> None:
    """A sitemap dating its pages in 2099 had every known article fetched again on every run."""
    fetched = datetime.now(UTC) - timedelta(days=2)
    assert revisits(fetched).decide(URL, "2099-01-01T00:00:00+00:00") == "skip"
    a_clock_hours_ahead = (datetime.now(UTC) + timedelta(hours=7)).isoformat()
    assert revisits(fetched).decide(URL, a_clock_hours_ahead) == "conditional"
    long_ago = datetime.now(UTC) - timedelta(days=60)
    assert revisits(long_ago).decide(URL, "2099-01-01T00:00:00+00:00") == "conditional"  # due (30 days)
