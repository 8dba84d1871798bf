"""A hostile site (tests/hostile_site.py) crawled twice with the real `govarchive crawl`: the run
ends on its own, stays small, archives every good article once and accounts for every bad URL."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from mirror.site import MirrorSite
from tests.conftest import GOVARCHIVE, rows
from tests.hostile_site import (
    CASES,
    CLOSED_EARLY_PATH,
    FOLDER,
    GROWING_COOKIE,
    HEADER_BOMB_PATH,
    INVALID_BYTES_PATH,
    MALFORMED_LOCATIONS,
    MANY_LINKS_TARGETS,
    TIS620_GZIP_PATH,
    TIS620_PATH,
    UNCLOSED_DIVS_PATH,
    UNCLOSED_TAGS_PATH,
    serving_hostile_site,
)
from tests.processes import PeakMemory
from tests.test_crawl import clean_text

DOWNLOAD_TIMEOUT = 3  # seconds: the trickle and the silent server are cut after it, three tries each
MAX_RUN_SECONDS = 120
EXTRACT_SECONDS = 0.1  # of CPU for one page: an article takes 5-10 ms, the link bomb 0.6 s
PAGE_LINKS = 100  # GOVARCHIVE_MAX_PAGE_LINKS: the many-links listing names 1,000 pages
MAX_TEXT_CHARS = 20_000  # GOVARCHIVE_MAX_TEXT_CHARS: the novel extracts to 22,950; the longest good article 4,705
MAX_COOKIES = 5  # GOVARCHIVE_MAX_COOKIES: the site sets one more on every answer
MAX_COOKIE_BYTES = 256  # GOVARCHIVE_MAX_COOKIE_BYTES: one of its cookies grows on every answer
MAX_PEAK_BYTES = 500 * 2**20
FRUITLESS_PAGES = 20  # GOVARCHIVE_TRAP_FRUITLESS_PAGES, the default
LAG = 3  # discovery pages already under way when a shape is found fruitless
ENDLESS_LISTINGS = ("/calendar/?date=", "/archive/page/")  # the paths of CALENDAR_START, ARCHIVE_START


def crawl(base_url: str, db: Path) -> dict:
    """One run as cron starts it, with its duration, peak memory (all processes) and output."""
    env = {
        **os.environ,
        "GOVARCHIVE_PROGRESS_INTERVAL": "0",
        "GOVARCHIVE_DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
        "GOVARCHIVE_EXTRACT_SECONDS": str(EXTRACT_SECONDS),
        "GOVARCHIVE_MAX_PAGE_LINKS": str(PAGE_LINKS),
        "GOVARCHIVE_MAX_TEXT_CHARS": str(MAX_TEXT_CHARS),
        "GOVARCHIVE_MAX_COOKIES": str(MAX_COOKIES),
        "GOVARCHIVE_MAX_COOKIE_BYTES": str(MAX_COOKIE_BYTES),
        # as on a fresh machine: Scrapy's cookie middleware would fetch the Public Suffix List
        "TLDEXTRACT_CACHE": str(db.parent / "tldextract"),
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [str(GOVARCHIVE), "crawl", "--url", base_url, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    memory = PeakMemory(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=MAX_RUN_SECONDS * 3)
    finally:
        peak = memory.stop()
    return {
        "seconds": time.monotonic() - started,
        "peak": peak,
        "exit": process.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "archive.db"
    with serving_hostile_site() as (base_url, site, decoy_hits):
        first = crawl(base_url, db)
        first["requests"] = Counter(site.requests)
        site.requests.clear()
        second = crawl(base_url, db)
        second["requests"] = Counter(site.requests)
    return {"base_url": base_url, "db": db, "runs": [first, second], "decoy_hits": decoy_hits, "site": site}


def requested(run: dict, prefix: str) -> int:
    return sum(n for target, n in run["requests"].items() if target.startswith(prefix))


def test_each_run_ends_on_its_own_in_bounded_time(hostile) -> None:
    for run in hostile["runs"]:
        assert run["seconds"] < MAX_RUN_SECONDS, run["stdout"]
        assert "Traceback" not in run["stderr"]


def test_peak_memory_of_all_processes_stays_under_500_mb(hostile) -> None:
    """The gzip bomb inflates to 1 GB; a 200 MB and an endless response are offered."""
    for run in hostile["runs"]:
        assert 0 < run["peak"] < MAX_PEAK_BYTES, f"{run['peak'] / 2**20:.0f} MB"


def test_the_archive_passes_its_integrity_check(hostile) -> None:
    assert rows(hostile["db"], "pragma integrity_check") == [("ok",)]


def test_every_good_article_is_archived_exactly_once(hostile) -> None:
    mirror = MirrorSite(FOLDER)
    expected = {hostile["base_url"] + mirror.article_path(a).lstrip("/") for a in mirror.articles}
    assert {url for (url,) in rows(hostile["db"], "select url from articles")} == expected
    assert rows(hostile["db"], "select count(*) from articles") == [(len(expected),)]
    assert rows(hostile["db"], "select count(*) from article_versions") == [(len(expected),)]


def test_session_ids_and_tracking_tags_written_into_links_make_no_second_address(hostile) -> None:
    """The home page names each article and listing page under a new session identifier, and
    each article with tracking tags, which the sitemap does not: each article is requested
    once, and no request carries a session or a tag."""
    first = hostile["runs"][0]
    mirror = MirrorSite(FOLDER)
    visit_ids = ("sessid", "jsessionid", "utm_", "fbclid")
    assert [target for target in first["requests"] if any(tag in target.lower() for tag in visit_ids)] == []
    assert {path: requested(first, path) for path in map(mirror.article_path, mirror.articles)} == dict.fromkeys(
        map(mirror.article_path, mirror.articles), 1
    )
    assert requested(first, "/page/2/") == 1


def test_broken_encodings_are_read_as_what_they_are(hostile) -> None:
    mirror = MirrorSite(FOLDER)
    for path, expected in (
        (INVALID_BYTES_PATH, lambda text: text.replace("[[BAD]]", "\ufffd")),
        (TIS620_PATH, lambda text: text),
        (TIS620_GZIP_PATH, lambda text: text),
    ):
        article = mirror.by_path[path]
        (body,) = rows(hostile["db"], "select body from articles where url = ?", (hostile["base_url"] + path[1:],))
        assert body[0] == expected(clean_text(article))


@pytest.mark.parametrize("path", [CLOSED_EARLY_PATH, UNCLOSED_TAGS_PATH, UNCLOSED_DIVS_PATH])
def test_an_article_libxml2_would_stop_reading_is_archived_whole(hostile, path: str) -> None:
    """Closed early by its theme header (libxml2 drops what follows `</html>`), or nested
    3,000 deep by `<font>` or `<div>` tags never closed (libxml2 stops at 2,048): a browser
    reads on."""
    article = MirrorSite(FOLDER).by_path[path]
    (body,) = rows(hostile["db"], "select body from articles where url = ?", (hostile["base_url"] + path[1:],))
    assert body[0] == clean_text(article)


def failures(hostile: dict, run: int) -> dict[str, tuple[str, str]]:
    sql = "select url, kind, reason from failures where crawl_run = ?"
    return {url: (kind, reason) for url, kind, reason in rows(hostile["db"], sql, (run,))}


def test_every_bad_url_is_recorded_with_its_reason_in_each_run(hostile) -> None:
    for run in (1, 2):
        recorded = failures(hostile, run)
        for case in CASES:
            if run == 2 and case.kind == "trap":
                continue  # found by the first run: counted, not recorded again (below)
            kind, reason = recorded[hostile["base_url"] + case.path.lstrip("/")]
            assert kind == case.kind, (case, reason)


def test_every_reason_is_in_words_not_a_programs_repr(hostile) -> None:
    reasons = [reason for _, reason in failures(hostile, 1).values()]
    assert not [reason for reason in reasons if "<twisted" in reason or "Failure" in reason]


def run_row(hostile: dict, run: int) -> dict:
    names = [r[1] for r in rows(hostile["db"], "pragma table_info(crawl_runs)")]
    (values,) = rows(hostile["db"], "select * from crawl_runs where id = ?", (run,))
    return dict(zip(names, values, strict=True))


def test_the_run_counts_failures_by_kind_and_names_the_bounds_hit(hostile) -> None:
    row = run_row(hostile, 1)
    recorded = Counter(kind for kind, _ in failures(hostile, 1).values())
    assert json.loads(row["failure_kinds"]) == recorded
    assert row["failures"] == sum(recorded.values())
    bounds = json.loads(row["bounds"])
    assert bounds["DOWNLOAD_MAXSIZE"] == 3  # the bomb, the declared 200 MB, the endless body
    assert bounds["DOWNLOAD_TIMEOUT"] == 2  # the trickle, the silent server
    assert bounds["REDIRECT_MAX_TIMES"] == 1
    assert bounds["GOVARCHIVE_EXTRACT_SECONDS"] == 1  # the link bomb
    assert bounds["GOVARCHIVE_MAX_TEXT_CHARS"] == 1  # the novel
    assert bounds["GOVARCHIVE_MAX_PAGE_LINKS"] == 1  # the listing of 1,000 links
    assert bounds["GOVARCHIVE_MAX_HEADER_BYTES"] == 1  # the header bomb
    assert bounds["GOVARCHIVE_ROBOTS_MAX_BYTES"] == 1  # robots.txt goes on for 600 KB
    assert bounds["GOVARCHIVE_TRAP_FRUITLESS_PAGES"] >= 2  # the calendar and the page numbers
    assert bounds["GOVARCHIVE_MAX_COOKIES"] > 0  # a cookie on every answer
    assert row["lost"] == 0


def test_a_page_given_up_at_the_header_bound_is_not_asked_again(hostile) -> None:
    """Its headers would pass the bound again: retries are for what may succeed next time."""
    assert hostile["runs"][0]["requests"][HEADER_BOMB_PATH] == 1
    assert hostile["runs"][1]["requests"][HEADER_BOMB_PATH] <= 1


def test_a_site_that_sets_a_cookie_on_every_page_gets_back_no_more_than_the_bound(hostile) -> None:
    """Every cookie kept goes back with every request: one a page, and a crawl of a few thousand
    pages sent headers servers refuse, at 3.5x the CPU."""
    assert hostile["site"].most_cookies == MAX_COOKIES


def test_a_cookie_that_grows_on_every_page_stops_at_the_size_bound(hostile) -> None:
    """A "recently read" cookie: every request carries it, and past 8 KB servers refuse them."""
    assert 0 < hostile["site"].longest_cookie <= MAX_COOKIE_BYTES - len(GROWING_COOKIE)
    assert json.loads(run_row(hostile, 1)["bounds"])["GOVARCHIVE_MAX_COOKIE_BYTES"] > 0


def test_endless_listings_are_cut_and_remembered(hostile) -> None:
    first = hostile["runs"][0]
    for pages in ENDLESS_LISTINGS:
        assert 1 <= requested(first, pages) <= FRUITLESS_PAGES + LAG, pages
    sql = "select pattern from traps where bound = 'GOVARCHIVE_TRAP_FRUITLESS_PAGES'"
    assert {"127.0.0.1/calendar/?date", "127.0.0.1/archive/page/N/"} <= {p for (p,) in rows(hostile["db"], sql)}


def test_a_listing_naming_more_pages_than_a_page_may_is_followed_up_to_the_bound(hostile) -> None:
    for run in hostile["runs"]:
        assert 0 < requested(run, MANY_LINKS_TARGETS) <= PAGE_LINKS


def test_no_request_reaches_another_host(hostile) -> None:
    """Not the decoy host the site links to, nor publicsuffix.org (tldextract, in Scrapy's
    cookie middleware, fetches its list there on first use: the runs start with no cache)."""
    assert hostile["decoy_hits"] == []
    assert not any("public_suffix_list" in run["stderr"] for run in hostile["runs"])


def test_malformed_addresses_a_sitemap_names_are_recorded_and_the_rest_is_read(hostile) -> None:
    """Scrapy raises on them, which ended the reading of the whole sitemap."""
    for run in (1, 2):
        recorded = {url for url, (kind, _) in failures(hostile, run).items() if kind == "bad_url"}
        assert recorded == set(MALFORMED_LOCATIONS)


def test_a_page_of_another_host_the_sitemap_names_is_counted_not_fetched(hostile) -> None:
    for run in (1, 2):
        assert json.loads(run_row(hostile, run)["skipped"])["offsite"] == 1


def test_a_second_crawl_walks_no_trap_and_duplicates_nothing(hostile) -> None:
    second = hostile["runs"][1]
    trapped = [url for (url,) in rows(hostile["db"], "select url from failures where kind = 'trap'")]
    assert trapped
    for url in trapped:
        assert second["requests"][url.removeprefix(hostile["base_url"].rstrip("/"))] == 0, url
    for pages in ENDLESS_LISTINGS:
        assert requested(second, pages) == 0, pages
    assert json.loads(run_row(hostile, 2)["skipped"])["known_trap"] >= len(trapped)
    good = len(MirrorSite(FOLDER).articles)
    assert rows(hostile["db"], "select count(*), count(distinct url) from articles") == [(good, good)]
