"""Every crawl is bounded: per-site budgets stop it and say so; traps are refused by what the
URL shows or by what a listing keeps yielding (crawler/budget.py, crawler/traps.py)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.traps import Trap, TrapDetector, TrapRules, url_shape, url_trap
from mirror.server import serving
from mirror.site import SITES, MirrorSite
from tests.conftest import rows, run_cli, site_articles

RULES = TrapRules()
LARGE_SITE = 3000
NOW = datetime(2026, 12, 4)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("GOVARCHIVE_MAX_REQUESTS", "20"), ("GOVARCHIVE_MAX_BYTES", "300000"), ("GOVARCHIVE_MAX_PAGES", "15")],
)
def test_a_site_budget_stops_the_crawl_and_records_what_it_left(
    setting: str, value: str, serve, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    budget: dict[str, str] = {setting: value}
    result = run_cli("crawl", "--url", serve("cdd-mirror"), "--db", str(db), **budget)  # type: ignore[arg-type]
    stopped_by = {"GOVARCHIVE_MAX_PAGES": "CLOSESPIDER_PAGECOUNT"}.get(setting, setting)
    ((status, stop_reason, bounds),) = rows(db, "select status, stop_reason, bounds from crawl_runs")
    assert status == "ok" and stop_reason.startswith(f"stopped at {stopped_by}: "), result.stdout
    left = rows(db, "select count(*) from failures where kind = 'budget'")[0][0]
    assert left > 0 and json.loads(bounds)[stopped_by] >= left
    assert rows(db, "select count(*) from articles")[0][0] < 23


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mirror with 3,000 articles in its sitemap: far more than the runs below may fetch."""
    folder = tmp_path_factory.mktemp("large") / "site"
    shutil.copytree(SITES / "cdd-mirror", folder)
    first = site_articles(folder)[0]
    many = [
        {
            **first,
            "id": 10_000 + n,
            "slug": f"news-{n:04d}",
            "title": f"{first['title']} ({n})",
            "paragraphs": [f"ข่าวที่ {n}", *first["paragraphs"]],
        }
        for n in range(LARGE_SITE)
    ]
    (folder / "articles.json").write_text(json.dumps(many, ensure_ascii=False), encoding="utf-8")
    return folder


def crawl_within_budget(large_site: Path, db: Path, port: int = 0) -> tuple[str, set[str]]:
    """A run of 20 pages whose memory queue holds 30 requests: the log it wrote, and the
    addresses of the site's articles."""
    # Its category listings are served too: the articles link to them, and whether a run's first
    # requests include them depends on timing (unserved, three 404s failed a run of 13).
    site = MirrorSite(large_site, frozenset({"sitemap", "listings"}))
    with serving(site, port) as base_url:
        budget = ("--routes", "sitemap", "--max-pages", "20")
        log = run_cli("crawl", "--url", base_url, "--db", str(db), *budget, GOVARCHIVE_QUEUE_MEMORY="30").stderr
    return log, {base_url + site.article_path(a).lstrip("/") for a in site.articles}


@pytest.fixture(scope="module")
def two_budgeted_runs(large_site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two runs of 20 pages of the large site, served at one address; the first one's figures
    as it left them."""
    db = tmp_path_factory.mktemp("budgeted") / "a.db"
    log, articles = crawl_within_budget(large_site, db)
    first = {
        "log": log,
        "run": rows(db, "select status, stop_reason from crawl_runs")[0],
        "left": {url for (url,) in rows(db, "select url from failures where kind = 'budget'")},
        "archived": {url for (url,) in rows(db, "select url from articles")},
    }
    crawl_within_budget(large_site, db, urlsplit(min(first["archived"])).port or 0)
    return {"db": db, "articles": articles, "first": first}


def test_a_run_queues_no_more_pages_than_its_budget_can_fetch(two_budgeted_runs: dict) -> None:
    """A sitemap naming a million pages held a run of 300 for minutes while it queued them all."""
    first = two_budgeted_runs["first"]
    assert "waited on disk" not in first["log"]  # 2,980 would have, past the memory queue's 30
    status, stop_reason = first["run"]
    assert status == "ok" and stop_reason.startswith("stopped at CLOSESPIDER_PAGECOUNT: "), stop_reason
    archived = first["archived"]
    assert 0 < len(archived) <= 20 and two_budgeted_runs["articles"] <= first["left"] | archived  # all accounted for


def test_what_a_budget_left_is_replaced_by_the_next_runs_account(two_budgeted_runs: dict) -> None:
    """Each run names the pages again: only the latest run's rows say what is still owed."""
    db = two_budgeted_runs["db"]
    left = rows(db, "select distinct crawl_run from failures where kind = 'budget'")
    archived = {url for (url,) in rows(db, "select url from articles")}
    assert left == [(2,)] and len(archived) > len(two_budgeted_runs["first"]["archived"])  # it fetched more
    owed = {url for (url,) in rows(db, "select url from failures where kind = 'budget'")}
    assert two_budgeted_runs["articles"] - archived <= owed


def test_the_wall_time_budget_stops_a_slow_site(tmp_path: Path) -> None:
    site = MirrorSite("cdd-mirror")
    site.delay = 1.0  # seconds before each article
    db = tmp_path / "a.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db), "--max-seconds", "1")
    ((stop_reason, bounds),) = rows(db, "select stop_reason, bounds from crawl_runs")
    assert stop_reason.startswith("stopped at CLOSESPIDER_TIMEOUT: ")
    left = rows(db, "select count(*) from failures where kind = 'budget'")[0][0]
    assert left > 0 and json.loads(bounds)["CLOSESPIDER_TIMEOUT"] == left


@pytest.mark.parametrize(
    ("url", "setting"),
    [
        ("http://x.go.th/" + "a" * 1100, "GOVARCHIVE_TRAP_MAX_URL_LENGTH"),
        ("http://x.go.th/" + "/".join(f"s{n}" for n in range(13)) + "/", "GOVARCHIVE_TRAP_MAX_PATH_SEGMENTS"),
        ("http://x.go.th/news/a/b/a/b/a/", "GOVARCHIVE_TRAP_MAX_SEGMENT_REPEATS"),
        ("http://x.go.th/2999/01/", "GOVARCHIVE_TRAP_EARLIEST_YEAR"),
        ("http://x.go.th/1970/05/31/", "GOVARCHIVE_TRAP_EARLIEST_YEAR"),
        ("http://x.go.th/events/?date=2612-01-01", "GOVARCHIVE_TRAP_EARLIEST_YEAR"),  # Buddhist Era 2612 = 2069
        ("http://x.go.th/calendar/?year=1900", "GOVARCHIVE_TRAP_EARLIEST_YEAR"),
    ],
)
def test_a_url_can_be_a_trap_by_itself(url: str, setting: str) -> None:
    trap = url_trap(url, RULES, NOW)
    assert trap is not None and trap.setting == setting


@pytest.mark.parametrize(
    "url",
    [
        "http://x.go.th/2023/05/31/news-title/",
        "http://x.go.th/news/2566/05/",  # Buddhist Era 2566 = 2023
        "http://x.go.th/news/2099/",  # an id, not a date
        "http://x.go.th/?p=123",
        "http://x.go.th/news/news/item/",
        "http://x.go.th/category/pr/page/2/",
    ],
)
def test_ordinary_news_urls_are_not_traps(url: str) -> None:
    assert url_trap(url, RULES, NOW) is None


def test_pages_of_one_listing_share_a_shape() -> None:
    assert url_shape("http://x.go.th/archive/page/7/") == url_shape("http://x.go.th/archive/page/8/")
    assert url_shape("http://x.go.th/cal/?date=2024-01-01&v=1") == url_shape("http://x.go.th/cal/?v=2&date=2024-01-02")
    assert url_shape("http://x.go.th/?p=1") != url_shape("http://x.go.th/?cat=1")


def test_more_query_key_sets_under_one_path_than_the_bound_are_a_trap() -> None:
    detector = TrapDetector(TrapRules(max_query_shapes=3))
    keys = ["a", "b", "c", "d"]
    verdicts = [detector.check(f"http://x.go.th/filter/?{key}=1") for key in keys]
    assert verdicts[:3] == [None, None, None]
    assert verdicts[3] is not None and verdicts[3].setting == "GOVARCHIVE_TRAP_MAX_QUERY_SHAPES"
    assert detector.check("http://x.go.th/filter/?a=2") is None  # a known key set with other values


def test_a_listing_shape_that_stops_yielding_new_articles_is_refused() -> None:
    detector = TrapDetector(TrapRules(fruitless_pages=3))
    page = "http://x.go.th/archive/page/{}/".format
    article = "http://x.go.th/news/1/"
    detector.named("listing", detector.walked(page(1)), [article], known=lambda url: False)
    detector.found_article(article)
    for number in (2, 3, 4):
        assert detector.check_discovery(page(number)) is None
        detector.walked(page(number))
    trap = detector.check_discovery(page(5))
    assert trap is not None and trap.setting == "GOVARCHIVE_TRAP_FRUITLESS_PAGES"
    assert url_shape(page(5)) in detector.new


def test_a_trap_an_earlier_run_found_is_refused_and_only_counted() -> None:
    shape = url_shape("http://x.go.th/archive/page/1/")
    detector = TrapDetector(RULES, {shape: Trap("GOVARCHIVE_TRAP_FRUITLESS_PAGES", "trap: earlier")})
    assert detector.check("http://x.go.th/archive/page/9/") is not None
    assert detector.found_before("http://x.go.th/archive/page/9/")
