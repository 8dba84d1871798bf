"""End to end: the real `govarchive crawl` against mirror sites served from 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import shutil
import time
from pathlib import Path

import pytest

from archive.text import normalize_text
from crawler.settings import HTTPCACHE_EXPIRATION_SECS as KEEP_SECONDS
from mirror.server import serving
from mirror.site import ROUTES, MirrorSite
from tests.conftest import rows, run_cli, site_articles

ALL_ARTICLES = site_articles("cdd-mirror")
DAY = 24 * 3600


def clean_text(article: dict) -> str:
    """The source paragraphs as the archive should hold them: normalised, blank-line separated."""
    return "\n\n".join(" ".join(normalize_text(p).split()) for p in article["paragraphs"])


def crawl(base_url: str, db: Path, *extra: str) -> str:
    return run_cli("crawl", "--url", base_url, "--db", str(db), *extra).stdout


def archived(db: Path) -> dict[str, dict]:
    names = [r[1] for r in rows(db, "pragma table_info(articles)")]
    return {r[0]: dict(zip(names, r, strict=True)) for r in rows(db, f"select {', '.join(names)} from articles")}


def expected_urls(base_url: str, site: str = "cdd-mirror") -> set[str]:
    mirror = MirrorSite(site)
    return {base_url + mirror.article_path(a).lstrip("/") for a in mirror.articles}


@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory):
    """The whole mirror crawled once with every route; shared by the read-only checks."""
    from mirror.server import serving

    db = tmp_path_factory.mktemp("full") / "archive.db"
    with serving(MirrorSite("cdd-mirror")) as base_url:
        first = crawl(base_url, db)
        before = archived(db)
        second = crawl(base_url, db)
        yield base_url, db, first, before, second


def test_every_article_archived_once_and_nothing_else(full_crawl) -> None:
    base_url, db, *_ = full_crawl
    assert set(archived(db)) == expected_urls(base_url)
    assert len(archived(db)) == len(ALL_ARTICLES) == 23


def with_sources(db: Path, base_url: str, site: str = "cdd-mirror") -> list[tuple[dict, dict]]:
    """Each archived row beside the mirror article it came from."""
    stored, mirror = archived(db), MirrorSite(site)
    return [(stored[base_url + mirror.article_path(a).lstrip("/")], a) for a in mirror.articles]


def test_body_is_the_article_text_only(full_crawl) -> None:
    base_url, db, *_ = full_crawl
    for row, article in with_sources(db, base_url):
        assert row["body"] == clean_text(article), row["url"]


def test_dates_are_common_era_with_offset(full_crawl) -> None:
    base_url, db, *_ = full_crawl
    for row, article in with_sources(db, base_url):
        assert row["published"][:10] == article["published"][:10], (row["url"], article["visible_date"])
        assert row["published"].endswith("+07:00")
        if article["date_in_meta"]:
            assert row["published"] == article["published"]


def test_each_metadata_field_is_stored(full_crawl) -> None:
    base_url, db, *_ = full_crawl
    row = archived(db)[base_url + "news-017/"]
    assert row["title"] == "พช.คว้า 3 รางวัลเลิศรัฐ การันตีคุณภาพการบริหารจัดการภาครัฐ"
    assert row["site"] == base_url.split("/")[2]
    assert row["agency"] == base_url.split("/")[2]
    assert row["published"] == "2023-08-30T14:05:00+07:00"
    assert row["modified"] == "2023-08-31T09:12:00+07:00"
    assert json.loads(row["authors"]) == ["กลุ่มประชาสัมพันธ์"]
    assert row["language"] == "th"
    assert json.loads(row["categories"]) == ["ข่าวกิจกรรม"]
    assert json.loads(row["tags"]) == ["รางวัลเลิศรัฐ", "PMQA"]
    assert row["image"] == base_url + "wp-content/uploads/2023/08/photo-117.jpg"
    assert row["source_url"].startswith(base_url)
    assert row["http_status"] == 200
    assert row["fetched_at"].endswith("+00:00")
    assert len(row["sha256"]) == 64
    assert row["extractor"].startswith("trafilatura ")


def test_second_crawl_adds_and_changes_nothing(full_crawl) -> None:
    _, db, first, before, second = full_crawl
    assert "23 new" in first
    assert "0 downloaded" in second and "0 new, 0 updated" in second
    assert archived(db) == before


def cache_entries(db: Path) -> list[Path]:
    """The entries of Scrapy's HTTP cache beside the archive (FilesystemCacheStorage's folders)."""
    return [meta.parent for meta in db.parent.rglob("pickled_meta")]


def cached_urls(db: Path) -> set[str]:
    """The addresses the cache holds (its metadata gzipped)."""
    return {pickle.loads(gzip.decompress((entry / "pickled_meta").read_bytes()))["url"] for entry in cache_entries(db)}


@pytest.mark.parametrize("route", ["sitemap", "listings"])  # WordPress's sitemaps name its pages and categories
def test_a_recrawl_revalidates_every_page_that_is_no_article_whichever_route_named_it(route: str, tmp_path) -> None:
    """The pages a sitemap named were downloaded again on every run, so a page both a sitemap
    and a listing name was, or not, by which route came first."""
    db = tmp_path / "archive.db"
    mirror = MirrorSite("cdd-mirror", frozenset({route}))
    mirror.compresses = True  # so the cache holds a page read, not the bytes on the wire
    with serving(mirror) as base_url:
        first = crawl(base_url, db, "--routes", route)
        second = crawl(base_url, db, "--routes", route)
    assert "(0 downloaded," in second
    assert re.findall(r"\d+ failures", second) == re.findall(r"\d+ failures", first)  # read from the cache as well
    assert {base_url + "about/", base_url + "contact/"} <= cached_urls(db)
    assert cached_urls(db).isdisjoint(expected_urls(base_url))  # an article's capture is its WARC record


def test_a_recrawl_asks_again_for_the_pages_a_site_says_to_keep_for_a_day(tmp_path) -> None:
    """RFC 2616 caching took a sitemap sent with max-age from the cache without asking, and so
    missed what was published meanwhile."""
    db = tmp_path / "archive.db"
    mirror = MirrorSite("cdd-mirror", frozenset({"sitemap"}))
    mirror.cache_control = "max-age=86400"
    with serving(mirror) as base_url:
        crawl(base_url, db, "--routes", "sitemap")
        asked = len(mirror.log)
        second = crawl(base_url, db, "--routes", "sitemap")
    assert {a.path for a in mirror.log[asked:]} >= {"/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml", "/about/"}
    assert "(0 downloaded," in second  # each answered 304


def test_the_cache_keeps_the_pages_runs_ask_for_and_lets_go_of_those_none_asked_for_in_its_time(tmp_path) -> None:
    """Scrapy's storage ignored an expired entry but never removed it: pages a site no longer
    names stayed on disk for as long as cron crawled it. An entry a run reads is renewed."""
    db = tmp_path / "archive.db"
    mirror = MirrorSite("cdd-mirror", frozenset({"sitemap"}))
    with serving(mirror) as base_url:
        crawl(base_url, db, "--routes", "sitemap")
        entries = cache_entries(db)
        gone = entries[0].with_name("f" * len(entries[0].name))  # a page no longer named
        shutil.copytree(entries[0], gone)
        for entry, age in [*((e, KEEP_SECONDS - DAY) for e in entries), (gone, KEEP_SECONDS + DAY)]:
            then = time.time() - age
            os.utime(entry / "pickled_meta", (then, then))
        second = crawl(base_url, db, "--routes", "sitemap")
    assert "(0 downloaded," in second  # each asked for again within the keep time: revalidated
    assert not gone.exists()
    assert all(time.time() - (e / "pickled_meta").stat().st_mtime < DAY for e in entries)


def test_a_cache_entry_torn_by_a_killed_run_is_fetched_again_with_a_one_line_warning(tmp_path) -> None:
    """A run killed while storing a page leaves half an entry: Scrapy read it as a miss, but
    printed a traceback into cron's mail for it."""
    db = tmp_path / "archive.db"
    mirror = MirrorSite("cdd-mirror", frozenset({"sitemap"}))
    with serving(mirror) as base_url:
        crawl(base_url, db, "--routes", "sitemap")
        torn = cache_entries(db)[0] / "response_body"
        torn.write_bytes(torn.read_bytes()[: torn.stat().st_size // 2])
        second = run_cli("crawl", "--url", base_url, "--db", str(db), "--routes", "sitemap")
    assert "(1 downloaded," in second.stdout
    assert "Traceback" not in second.stderr
    assert re.search(r"WARNING: cache: unreadable entry for \S+ \(.+\): fetched again", second.stderr)
    assert all(gzip.decompress((entry / "response_body").read_bytes()) for entry in cache_entries(db))  # whole again


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_discovery_route_alone_finds_every_article(route: str, serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror", routes=frozenset({route}))
    db = tmp_path / "archive.db"
    crawl(base_url, db)
    assert set(archived(db)) == expected_urls(base_url)


@pytest.mark.parametrize("site", ["cdd-mirror", "unseen-portal"])  # WordPress core's sitemap, then Yoast's
@pytest.mark.parametrize("robots_txt", [True, False])
def test_a_sitemap_robots_txt_does_not_name_is_found_at_its_usual_place(
    site: str, robots_txt: bool, tmp_path: Path
) -> None:
    mirror = MirrorSite(site, frozenset({"sitemap"}))
    mirror.declares_sitemap, mirror.serves_robots_txt = False, robots_txt
    db = tmp_path / "archive.db"
    with serving(mirror) as base_url:
        crawl(base_url, db, "--routes", "sitemap")
    assert set(archived(db)) == expected_urls(base_url, site)


@pytest.mark.parametrize("not_found_status", [404, 200])
def test_a_first_crawl_that_finds_no_article_fails_and_says_where_to_look(not_found_status: int, tmp_path) -> None:
    mirror = MirrorSite("cdd-mirror", frozenset({"feed"}))  # no sitemap anywhere
    mirror.not_found_status = not_found_status
    db = tmp_path / "archive.db"
    with serving(mirror) as base_url:
        result = run_cli("crawl", "--url", base_url, "--db", str(db), "--routes", "sitemap", check=False)
    assert result.returncode == 1
    assert "no sitemap found" in result.stderr
    assert ": FAILED (no article found" in result.stdout
    assert rows(db, "select status from crawl_runs") == [("failed",)]


def test_broken_pages_land_in_failures_and_the_crawl_goes_on(serve, site_copy, tmp_path: Path) -> None:
    folder = site_copy("cdd-mirror")
    articles = site_articles(folder)
    articles[0]["broken"] = "empty"
    articles[1]["http_status"] = 500
    (folder / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    base_url = serve(folder)
    db = tmp_path / "archive.db"
    output = crawl(base_url, db)
    mirror = MirrorSite(folder)
    broken = {base_url + mirror.article_path(a).lstrip("/"): a for a in articles[:2]}
    assert set(archived(db)) == expected_urls(base_url) - set(broken)
    reasons = {
        url: (reason, status) for url, reason, status in rows(db, "select url, reason, http_status from failures")
    }
    empty_url, error_url = broken
    assert reasons[empty_url] == ("extraction: no main text found on the page", 200)
    assert reasons[error_url] == ("HTTP 500", 500)
    dead_links = {url for url, (reason, status) in reasons.items() if status == 404}
    assert f"{2 + len(dead_links)} failures ({len(dead_links)} dead links on listings)" in output
    assert ": ok:" in output  # dead links are recorded, and are no fault of the crawl


def test_a_wordpress_site_never_tuned_for_is_archived_exactly(serve, tmp_path: Path) -> None:
    base_url = serve("unseen-portal")
    db = tmp_path / "archive.db"
    crawl(base_url, db)
    stored = archived(db)
    assert set(stored) == expected_urls(base_url, "unseen-portal")
    for row, article in with_sources(db, base_url, "unseen-portal"):
        assert row["body"] == clean_text(article), row["url"]
        assert row["published"][:10] == article["published"][:10]
    assert "0 new" in crawl(base_url, db)


def test_extraction_in_worker_processes_gives_the_same_archive_as_in_process(serve, tmp_path: Path) -> None:
    base_url = serve("unseen-portal")
    run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "pool.db"), GOVARCHIVE_EXTRACT_WORKERS="2")
    run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "inline.db"), GOVARCHIVE_EXTRACT_WORKERS="0")
    assert lasting(tmp_path / "pool.db") == lasting(tmp_path / "inline.db")
    assert len(archived(tmp_path / "pool.db")) == 12


def lasting(db: Path) -> dict[str, dict]:
    """The archived articles without what differs from run to run (when, which run)."""
    volatile = {"fetched_at", "crawl_run"}
    return {url: {k: v for k, v in row.items() if k not in volatile} for url, row in archived(db).items()}


def test_requests_past_the_memory_queue_wait_on_disk_and_archive_the_same(serve, tmp_path: Path) -> None:
    base_url = serve("unseen-portal")
    spilled = run_cli(
        "crawl",
        "--url",
        base_url,
        "--db",
        str(tmp_path / "disk.db"),
        GOVARCHIVE_QUEUE_MEMORY="1",
        GOVARCHIVE_LOG_LEVEL="INFO",
    )
    run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "memory.db"))
    on_disk = re.search(r"(\d+) requests waited on disk", spilled.stderr)
    assert on_disk is not None and int(on_disk[1]) >= 10
    assert lasting(tmp_path / "disk.db") == lasting(tmp_path / "memory.db")
    assert len(archived(tmp_path / "disk.db")) == 12
    assert not (tmp_path / "queue").exists()  # the run's queue is gone with it
