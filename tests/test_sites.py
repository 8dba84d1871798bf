"""The uniform site test: every registered site with a recording is crawled offline and judged.

A site with recorded pages (tests/files/SITE/, from `govarchive record SITE`) is replayed from
127.0.0.1 and crawled with its own spider: articles must be found, with titles, plausible
dates, and bodies free of its theme's boilerplate. A site without a recording is reported as
SKIPPED "unverified", never passed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.pipelines import plausible
from crawler.recording import has_recording
from crawler.run import project_settings, site_classes
from crawler.spiders.base import NewsSpider
from mirror.replay import replaying
from tests.conftest import FILES, run_cli

SITES = site_classes(project_settings(":memory:"))


@pytest.mark.parametrize("site", sorted(SITES))
def test_recorded_site_is_archived_cleanly(site: str, tmp_path: Path) -> None:
    folder = FILES / site
    if not has_recording(folder):
        pytest.skip(f"{site}: unverified (no recording; run `govarchive record {site}`)")
    db = tmp_path / "a.db"
    with replaying(folder) as base_url:
        run_cli("crawl", site, "--base-url", base_url, "--db", str(db))
    with sqlite3.connect(db) as connection:
        articles = connection.execute("select url, title, published, body from articles").fetchall()
    assert articles, f"{site}: no article found in the recording"
    for url, title, published, body in articles:
        assert title.strip(), f"{url}: no title"
        assert published and plausible(published), f"{url}: no plausible publication date ({published})"
        leaked = [phrase for phrase in SITES[site].boilerplate if phrase in body]
        assert not leaked, f"{url}: boilerplate in body: {leaked}"


def unbacked_claims(sites: dict[str, type[NewsSpider]]) -> list[str]:
    """Sites that say verified without a recording in tests/files/SITE/."""
    return [name for name, spider in sites.items() if spider.verified and not has_recording(FILES / name)]


def test_no_site_claims_verified_without_a_recording() -> None:
    assert unbacked_claims(SITES) == []


def test_a_claim_without_a_recording_is_caught() -> None:
    """The check above passes today because no site claims anything; it catches one that does."""

    claiming = type("Claiming", (SITES["cdd"],), {"name": "claims-without-recording", "verified": True})
    assert unbacked_claims({**SITES, "claims-without-recording": claiming}) == ["claims-without-recording"]


def test_at_least_fifteen_thai_agencies_are_registered() -> None:
    thai = [s for s in SITES.values() if s.base_url.split("/")[2].endswith(".go.th")]
    assert len(thai) >= 15
