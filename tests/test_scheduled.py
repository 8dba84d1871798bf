"""Unattended crawls from cron: incremental, one at a time, survive SIGKILL, honest health."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.locks import SiteLock
from crawler.workers import WORKER_NAME
from crawler.writer_process import WRITER_NAME
from govarchive.crawling import EXIT_SITE_FAILED
from mirror.corpus import build_site
from mirror.site import MirrorSite
from tests.broken_parts import FAILING_ARTICLES, FAILING_PAGES
from tests.conftest import FILES, GOVARCHIVE, rows, run_cli
from tests.processes import alive, descendants, named

CORPUS = FILES / "thaigov-text" / "text"
# Failures other than the mirror theme's footer links to pages it does not have (HTTP 404).
NOT_DEAD_LINKS = "select count(*) from failures where http_status is not 404"
ROOT = FILES.parent.parent
EXIT_LOCKED = 75
SLOW_SITE_ARTICLES = 100
WAIT_ASKED = 3  # seconds, in the Retry-After of a 429


def start_crawl(base_url: str, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GOVARCHIVE_PROGRESS_INTERVAL": "0"}
    command = [str(GOVARCHIVE), "crawl", "--url", base_url, "--db", str(db)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0


def test_second_crawl_of_an_unchanged_site_downloads_little_and_adds_nothing(serve, tmp_path: Path) -> None:
    folder = build_site(CORPUS, tmp_path / "site")
    site = MirrorSite(folder)
    from mirror.server import serving

    db = tmp_path / "a.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        first = sum(a.status == 200 for a in site.log)
        before = rows(db, "select count(*) from articles union all select count(*) from article_versions")
        site.log.clear()
        warc_files = sorted((tmp_path / "warc").glob("*.warc.gz"))
        out = run_cli("crawl", "--url", base_url, "--db", str(db)).stdout
        assert sorted((tmp_path / "warc").glob("*.warc.gz")) == warc_files  # nothing captured: no new file
        second = sum(a.status == 200 for a in site.log)
    assert first > 300
    assert second <= 0.10 * first, f"second crawl downloaded {second} pages, first {first}"
    assert rows(db, "select count(*) from articles union all select count(*) from article_versions") == before
    assert "0 new, 0 updated" in out


def test_a_second_crawl_started_during_the_first_exits_with_the_lock_code(serve, tmp_path: Path) -> None:
    site = MirrorSite("cdd-mirror")
    site.delay = 0.3
    from mirror.server import serving

    db = tmp_path / "a.db"
    with serving(site) as base_url:
        first = start_crawl(base_url, db)
        wait_for(lambda: count(db, "select count(*) from crawl_runs where status = 'running'") == 1)
        second = run_cli("crawl", "--url", base_url, "--db", str(db), check=False)
        first.kill()
        first.wait()
    assert second.returncode == EXIT_LOCKED
    assert "already running" in second.stderr


@contextmanager
def slow_crawl(db: Path) -> Iterator[tuple[MirrorSite, str, subprocess.Popen[str]]]:
    """A crawl of SLOW_SITE_ARTICLES answered 0.2 s each: time to act midway, even when one
    commit group takes many articles at once (23 fast pages could all land in the first)."""
    from mirror.server import serving

    site = MirrorSite(build_site(CORPUS, db.parent / "slow-site", limit=SLOW_SITE_ARTICLES))
    site.delay = 0.2
    with serving(site) as base_url:
        yield site, base_url, start_crawl(base_url, db)


def test_a_crawl_killed_midway_leaves_a_valid_archive_and_the_next_run_completes_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with slow_crawl(db) as (site, base_url, crawl):
        wait_for(lambda: count(db, "select count(*) from articles") >= 3)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        partial = count(db, "select count(*) from articles")
        assert rows(db, "pragma integrity_check") == [("ok",)]
        assert partial < SLOW_SITE_ARTICLES
        assert (
            count(
                db,
                "select count(*) from articles a where not exists "
                "(select 1 from article_versions v where v.article_url = a.url)",
            )
            == 0
        )
        site.delay = 0
        run_cli("crawl", "--url", base_url, "--db", str(db))
    assert count(db, "select count(*) from articles") == SLOW_SITE_ARTICLES
    assert count(db, "select count(distinct url) from articles") == SLOW_SITE_ARTICLES
    assert count(db, "select count(*) from article_versions") == SLOW_SITE_ARTICLES
    assert rows(db, "select status from crawl_runs order by id") == [("killed",), ("ok",)]


def test_a_killed_crawl_leaves_no_extraction_worker_behind(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with slow_crawl(db) as (_, _, crawl):
        wait_for(lambda: count(db, "select count(*) from articles") >= 1)
        workers = descendants(crawl.pid)
        assert workers, "the crawl runs extraction workers"
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        wait_for(lambda: not any(map(alive, workers)), timeout=10)


def test_check_fails_on_a_stale_site_and_passes_on_a_fresh_one(serve, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    run_cli("crawl", "--url", serve("cdd-mirror"), "--db", str(db))
    assert run_cli("check", "--db", str(db)).stdout.strip() == "all sites healthy"
    with sqlite3.connect(db) as connection:  # as if the last new article came 30 days ago
        connection.execute("update article_versions set fetched_at = '2026-01-01T00:00:00+00:00'")
    result = run_cli("check", "--db", str(db), check=False)
    assert result.returncode == 1 and "no new article for over 7 days" in result.stdout


def test_check_passes_an_incremental_run_whose_only_failures_are_dead_links(serve, tmp_path: Path) -> None:
    """The mirror's listings link to five pages that answer 404; a second crawl finds no new
    article. The run is ok (dead links do not count), and check agrees."""
    db, base_url = tmp_path / "a.db", serve("cdd-mirror")
    for _ in range(2):
        run_cli("crawl", "--url", base_url, "--db", str(db))
    assert rows(db, "select status, failures, new from crawl_runs where id = 2") == [("ok", 5, 0)]
    assert run_cli("check", "--db", str(db)).stdout.strip() == "all sites healthy"


def test_check_reports_a_failed_last_run(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run_cli("crawl", "--url", "http://127.0.0.1:9/", "--db", str(db), check=False).returncode == 1
    result = run_cli("check", "--db", str(db), check=False)
    assert result.returncode == 1 and "failed: its robots.txt could not be read" in result.stdout


def test_retry_after_is_respected(tmp_path: Path) -> None:
    site = MirrorSite("cdd-mirror")
    site.retry_after["/news-017/"] = 2
    from mirror.server import serving

    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"))
    answers = [a for a in site.log if a.path == "/news-017/"]
    assert [a.status for a in answers] == [429, 200]
    assert answers[1].at - answers[0].at >= 1.9


def test_a_site_that_asks_to_wait_gets_no_request_until_then(tmp_path: Path) -> None:
    """Crawled as a real site is (a delay between requests, pages queued for it in Scrapy's
    downloader): after a 429 with Retry-After, not even the requests already queued are sent
    before the wait is over."""
    site = MirrorSite("cdd-mirror")
    site.retry_after["/news-017/"] = WAIT_ASKED
    from mirror.server import serving

    with serving(site) as base_url:
        run_cli(
            "crawl",
            "--url",
            base_url,
            "--db",
            str(tmp_path / "a.db"),
            "--max-pages",
            "40",
            GOVARCHIVE_UNTHROTTLED_HOSTS="",
            GOVARCHIVE_DOWNLOAD_DELAY="0.1",
        )
    asked = next(a.at for a in site.log if a.status == 429)
    during = [a.path for a in site.log if asked < a.at < asked + WAIT_ASKED - 0.1]
    assert during == [], during


def test_page_budget_stops_the_run_and_is_recorded(serve, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    site = build_site(CORPUS, tmp_path / "site")  # a full crawl is over 400 pages
    run_cli("crawl", "--url", serve(site), "--db", str(db), "--max-pages", "10")
    (run,) = rows(db, "select status, stop_reason, pages, bounds from crawl_runs")
    # Requests already in flight when the budget is reached still complete.
    status, stop_reason, pages, bounds = run
    assert status == "ok" and stop_reason.startswith("stopped at CLOSESPIDER_PAGECOUNT") and pages < 100
    # What the budget kept from being fetched is recorded, and left for the next run.
    left = rows(db, "select count(*) from failures where kind = 'budget' and reason like '%CLOSESPIDER_PAGECOUNT%'")
    assert left[0][0] > 0
    assert json.loads(bounds)["CLOSESPIDER_PAGECOUNT"] == left[0][0]


def crontab_command(base_url: str) -> str:
    """The crontab line from ops/crontab, pointed at this checkout and a local site."""
    line = next(x for x in (ROOT / "ops" / "crontab").read_text().splitlines() if x and not x.startswith("#"))
    return line.split(None, 5)[5].replace("/srv/govarchive", str(ROOT)).replace("--all", f"--url {base_url}")


def test_the_documented_crontab_line_runs_a_crawl_and_logs_it(serve, tmp_path: Path) -> None:
    env = {**os.environ, "GOVARCHIVE_DB": str(tmp_path / "a.db"), "GOVARCHIVE_LOG_DIR": str(tmp_path / "logs")}
    command = crontab_command(serve("cdd-mirror"))
    result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    (log,) = (tmp_path / "logs").glob("crawl-*.log")
    text = log.read_text()
    assert "23 new" in text and "== crawl exit 0" in text and "all sites healthy" in text
    assert count(tmp_path / "a.db", "select count(*) from articles") == 23


def test_the_crontab_line_mails_nothing_when_another_run_holds_the_lock(serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    lock = SiteLock(tmp_path / "a.db", base_url.split("/")[2])  # the site id of a --url crawl: its host
    lock.acquire()
    try:
        env = {**os.environ, "GOVARCHIVE_DB": str(tmp_path / "a.db"), "GOVARCHIVE_LOG_DIR": str(tmp_path / "logs")}
        command = crontab_command(base_url)
        result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, env=env, timeout=300)
    finally:
        lock.release()
    assert result.stdout == "", result.stdout  # cron mails what the line prints
    assert "== crawl exit 75" in next((tmp_path / "logs").glob("crawl-*.log")).read_text()


def test_one_failing_site_does_not_stop_the_others(serve, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = run_cli(
        "crawl", "--url", "http://127.0.0.1:9/", "--url", serve("cdd-mirror"), "--db", str(db), check=False
    )
    assert result.returncode == 1
    assert count(db, "select count(*) from articles") == 23
    assert sorted(r[0] for r in rows(db, "select status from crawl_runs")) == ["failed", "ok"]


def test_pages_whose_reading_raises_are_recorded_with_the_error_not_only_logged(serve, tmp_path: Path) -> None:
    folder = build_site(CORPUS, tmp_path / "site", limit=10)
    db = tmp_path / "a.db"
    command = [sys.executable, "-m", "tests.broken_parts", "callback", str(db), serve(folder)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.stdout.split(" ")[0] == "failed", result.stderr
    recorded = rows(db, "select url, reason from failures where kind = 'other'")
    assert len(recorded) == FAILING_PAGES
    assert all(reason == f"crawler error: ValueError: injected fault reading {url}" for url, reason in recorded)
    assert count(db, "select count(*) from articles") == 10 - FAILING_PAGES


def test_sites_crawled_side_by_side_into_one_archive_lose_no_article(serve, tmp_path: Path) -> None:
    """`crawl --all` runs every site in one process, each with its own archive pipeline."""
    folder = build_site(CORPUS, tmp_path / "site", limit=120)
    db = tmp_path / "a.db"
    result = run_cli("crawl", "--url", serve(folder), "--url", serve(folder), "--db", str(db))
    assert "database is locked" not in result.stderr
    assert count(db, "select count(*) from articles") == 2 * 120
    assert count(db, NOT_DEAD_LINKS) == 0


def test_crawls_of_two_sites_into_one_archive_at_once_lose_no_article(serve, tmp_path: Path) -> None:
    """Cron may start a site's crawl while another site's is still writing the same archive."""
    folder = build_site(CORPUS, tmp_path / "site", limit=120)
    db = tmp_path / "a.db"
    crawls = [start_crawl(serve(folder), db) for _ in range(2)]
    outputs = [crawl.communicate(timeout=300) for crawl in crawls]
    assert [crawl.returncode for crawl in crawls] == [0, 0], outputs
    assert count(db, "select count(*) from articles") == 2 * 120
    assert count(db, NOT_DEAD_LINKS) == 0


def test_pages_a_pipeline_fails_on_are_counted_as_lost_and_fail_the_run(serve, tmp_path: Path) -> None:
    folder = build_site(CORPUS, tmp_path / "site", limit=10)
    db = tmp_path / "a.db"
    command = [sys.executable, "-m", "tests.broken_parts", "pipeline", str(db), serve(folder)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    status, lost, message = result.stdout.split(" ", 2)
    assert (status, int(lost)) == ("failed", FAILING_ARTICLES), result.stderr
    assert "could not be archived" in message
    assert count(db, "select count(*) from articles") == 10 - FAILING_ARTICLES
    assert rows(db, "select status, lost from crawl_runs") == [("failed", FAILING_ARTICLES)]
    check = run_cli("check", "--db", str(db), check=False)
    assert check.returncode == 1 and f"lost {FAILING_ARTICLES} pages" in check.stdout


def test_sites_crawled_side_by_side_share_one_extraction_pool_and_one_writer(tmp_path: Path) -> None:
    from mirror.server import serving

    sites = [MirrorSite("cdd-mirror"), MirrorSite("cdd-mirror")]
    for site in sites:
        site.delay = 0.05
    db, most = tmp_path / "a.db", 0
    with serving(sites[0]) as first, serving(sites[1]) as second:
        env = {**os.environ, "GOVARCHIVE_EXTRACT_WORKERS": "2", "GOVARCHIVE_PROGRESS_INTERVAL": "0"}
        command = [str(GOVARCHIVE), "crawl", "--url", first, "--url", second, "--db", str(db)]
        crawl = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        while crawl.poll() is None:
            most = max(most, len(descendants(crawl.pid)))
            time.sleep(0.02)
    assert crawl.returncode == 0
    assert count(db, "select count(*) from articles") == 2 * 23
    helpers = 3  # multiprocessing's forkserver and resource tracker, and the archive's writer
    assert 2 < most <= 2 + helpers  # two workers and one writer in all, not two and one per site


def test_an_extraction_worker_killed_mid_crawl_loses_no_article(tmp_path: Path) -> None:
    """The OOM killer may take a worker: the pages it and its pool held are extracted again."""
    db = tmp_path / "a.db"
    with slow_crawl(db) as (_, _, crawl):
        wait_for(lambda: count(db, "select count(*) from articles") >= 3)
        workers = [pid for pid in descendants(crawl.pid) if named(pid) == WORKER_NAME]  # not the archive writer
        os.kill(workers[0], signal.SIGKILL)
        crawl.communicate(timeout=120)
    assert crawl.returncode == 0
    assert count(db, "select count(*) from articles") == SLOW_SITE_ARTICLES
    assert count(db, NOT_DEAD_LINKS) == 0


def test_a_crawl_whose_archive_writer_dies_stops_at_once_and_the_next_run_completes_it(tmp_path: Path) -> None:
    """The OOM killer may take the archive writer: nothing more can be archived, so the crawl
    stops rather than fetch the rest of the site, fails saying why (once, not a traceback a
    page), and what the writer had not committed is fetched by the next run."""
    db = tmp_path / "a.db"
    with slow_crawl(db) as (site, base_url, crawl):
        wait_for(lambda: count(db, "select count(*) from articles") >= 3)
        (writer,) = [pid for pid in descendants(crawl.pid) if named(pid) == WRITER_NAME]
        os.kill(writer, signal.SIGKILL)
        out, errors = crawl.communicate(timeout=120)
        articles = set(map(site.article_path, site.articles))
        fetched = sum(answer.path in articles for answer in site.log)
        site.delay = 0
        run_cli("crawl", "--url", base_url, "--db", str(db))
    assert crawl.returncode == EXIT_SITE_FAILED
    assert "the archive writer process died" in out
    assert errors.count("the archive writer was killed by signal SIGKILL") == 1 and "Traceback" not in errors
    assert fetched < SLOW_SITE_ARTICLES
    assert rows(db, "select status from crawl_runs order by id") == [("failed",), ("ok",)]
    assert count(db, "select count(*) from articles") == SLOW_SITE_ARTICLES
