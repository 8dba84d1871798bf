"""Thai pages end to end: visible Buddhist-Era dates and legacy encodings, crawled for real."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.text import normalize_text
from mirror.corpus import build_site
from mirror.site import MirrorSite
from tests.conftest import FILES, rows, run_cli, site_articles

CORPUS = FILES / "thaigov-text" / "text"
DATE_TARGET = 0.95


def crawl_site(serve, folder: Path, db: Path) -> dict[str, tuple[str | None, str]]:
    """Crawl the mirror at `folder`; returns archived url -> (published, body)."""
    base_url = serve(folder)
    run_cli("crawl", "--url", base_url, "--db", str(db))
    return {url: (published, body) for url, published, body in rows(db, "select url, published, body from articles")}


def source_by_url(folder: Path, base_url_prefix: str = "") -> dict[str, dict]:
    mirror = MirrorSite(folder)
    return {mirror.article_path(a).lstrip("/"): a for a in site_articles(folder)}


def path_of(url: str) -> str:
    return url.split("/", 3)[3]


def test_visible_thai_dates_alone_give_the_right_ce_date(serve, tmp_path: Path) -> None:
    folder = build_site(CORPUS, tmp_path / "site", date_in_meta=False)
    stored = crawl_site(serve, folder, tmp_path / "a.db")
    sources = source_by_url(folder)
    assert len(stored) == len(sources) > 250
    right = sum(
        published is not None and published[:10] == sources[path_of(url)]["published"][:10]
        for url, (published, _) in stored.items()
    )
    assert right / len(stored) >= DATE_TARGET, f"{right}/{len(stored)} dates right"


def test_archive_never_holds_a_year_after_this_one(serve, tmp_path: Path) -> None:
    folder = build_site(CORPUS, tmp_path / "site", limit=30)
    stored = crawl_site(serve, folder, tmp_path / "a.db")
    this_year = datetime.now(UTC).year
    years = [int(published[:4]) for published, _ in stored.values() if published]
    assert len(years) >= 25, "most of the 30 articles must have a date, or this checks nothing"
    assert max(years) <= this_year


@pytest.mark.parametrize(
    ("charset", "header", "meta"),
    [
        ("tis-620", "utf-8", "tis-620"),  # header wrong, <meta> right
        ("cp874", "", ""),  # no declaration at all
        ("tis-620", "iso-8859-1", ""),  # Western server default, no <meta>
        ("cp874", "windows-874", "windows-874"),  # declared correctly
    ],
)
def test_thai_legacy_encodings_are_archived_as_unicode(
    serve, tmp_path: Path, charset: str, header: str, meta: str
) -> None:
    folder = build_site(CORPUS, tmp_path / "site", limit=12, charset=charset, charset_header=header, meta_charset=meta)
    stored = crawl_site(serve, folder, tmp_path / "a.db")
    sources = source_by_url(folder)
    assert len(stored) == len(sources) == 12
    for url, (_, body) in stored.items():
        expected = "\n\n".join(" ".join(normalize_text(p).split()) for p in sources[path_of(url)]["paragraphs"])
        assert body == expected, url
