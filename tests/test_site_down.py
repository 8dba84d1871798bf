"""A site that goes silent mid-crawl ends its run as `failed` in seconds, saying so, with every
page it did not answer recorded for the next run (crawler/site_down.py). Without the rule this
crawl took 42 s, every page timing out three times (loopback is fetched 16 at a time), and
ended failed for its failure rate."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from mirror import formats
from tests.conftest import GOVARCHIVE, rows, serving_on_loopback
from tests.shared_crawl import ENV, Crawl, finish

PAGES = 200  # named by the sitemap; none answered
MAX_RUN_SECONDS = 60
ASKED_WAIT = 2  # seconds, the Retry-After of every page's answer
# Settings that find a silent site down within seconds, not the defaults' ten minutes.
QUICKLY_DOWN = {
    "GOVARCHIVE_DOWNLOAD_TIMEOUT": "1",
    "GOVARCHIVE_DOWN_AFTER_TRIES": "6",
    "GOVARCHIVE_DOWN_AFTER_SECONDS": "2",
}


@contextlib.contextmanager
def site_that_stops(retry_after: int | None = None) -> Iterator[tuple[str, list[float]]]:
    """Answers robots.txt and its sitemap, then no page: silence, or with `retry_after` a 429
    asking to wait that long. Yields its URL and when each page was asked for."""
    stop = threading.Event()
    asked: list[float] = []

    class Stopped(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            root = f"http://{self.headers['Host']}/"
            if self.path in ("/robots.txt", "/wp-sitemap.xml"):
                body = (
                    formats.urlset([(f"{root}news/{n}/", None) for n in range(PAGES)]).encode()
                    if self.path.endswith(".xml")
                    else f"User-agent: *\nSitemap: {root}wp-sitemap.xml\n".encode()
                )
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            asked.append(time.monotonic())
            if retry_after is not None:
                self.send_response(429)
                self.send_header("Retry-After", str(retry_after))
            else:
                stop.wait(30)  # silence, as a hung server or a firewall dropping packets
                self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving_on_loopback(Stopped) as base_url:
        try:
            yield base_url + "/", asked
        finally:
            stop.set()  # the silent answers end before the server does


def crawl_sitemap(base_url: str, db: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(GOVARCHIVE), "crawl", "--url", base_url, "--routes", "sitemap", "--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=MAX_RUN_SECONDS)


def test_a_site_that_stops_answering_ends_its_run_failed_with_every_page_recorded(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with site_that_stops() as (base_url, _):
        done = crawl_sitemap(base_url, db, QUICKLY_DOWN)
    assert done.returncode != 0
    ((status, reason),) = rows(db, "select status, stop_reason from crawl_runs")
    assert (status, reason) == ("failed", "the site stopped answering (see the log); the next run fetches what is left")
    assert "the site stopped answering" in done.stderr
    kinds = dict(rows(db, "select kind, count(*) from failures group by kind"))
    assert sum(kinds.values()) == PAGES and set(kinds) <= {"timeout", "connection"}, kinds


def test_a_shared_crawl_of_a_site_that_stops_answering_ends_its_run_failed_too(frontier: str, tmp_path: Path) -> None:
    """The writer closes a shared run (`crawl --redis`) from the reasons its workers gave: a
    worker's `site_down` must fail the run, with the queued pages left for the next one."""
    with site_that_stops() as (base_url, _):
        crawl = Crawl(frontier, base_url, tmp_path)
        worker = crawl.worker({**ENV, **QUICKLY_DOWN})
        writer = crawl.writer()
        worker_done, writer_done = finish(worker), finish(writer)
    assert worker_done.returncode != 0 and "the site stopped answering" in worker_done.output
    assert writer_done.returncode != 0
    ((status, reason),) = rows(crawl.db, "select status, stop_reason from crawl_runs")
    assert (status, reason) == ("failed", "the site stopped answering (see the log); the next run fetches what is left")
    kinds = dict(rows(crawl.db, "select kind, count(*) from failures group by kind"))
    assert sum(kinds.values()) == PAGES and set(kinds) <= {"timeout", "connection"}, kinds


def test_a_site_that_keeps_asking_to_wait_ends_its_run_after_the_silence_not_the_tries(tmp_path: Path) -> None:
    """Crawled as a real site (a delay between requests): each page is asked for once per wait
    the site asks for, so the tries rule alone would hold the run for 20 waits (200 minutes
    at GOVARCHIVE_MAX_RETRY_AFTER). A site still asking to wait once the silence has lasted
    GOVARCHIVE_DOWN_AFTER_SECONDS is down."""
    db = tmp_path / "archive.db"
    env = {
        "GOVARCHIVE_UNTHROTTLED_HOSTS": "",  # loopback crawled as a real site is
        "GOVARCHIVE_DOWNLOAD_DELAY": "0.2",
        "GOVARCHIVE_DOWN_AFTER_SECONDS": str(ASKED_WAIT),
    }
    with site_that_stops(retry_after=ASKED_WAIT) as (base_url, asked):
        done = crawl_sitemap(base_url, db, env)
    assert done.returncode != 0 and "it still asks to wait" in done.stderr
    ((status,),) = rows(db, "select status from crawl_runs")
    assert status == "failed"
    assert len(asked) <= 3, f"asked for {len(asked)} pages while told to wait"
    assert all(later - earlier >= ASKED_WAIT - 0.1 for earlier, later in itertools.pairwise(asked)), asked
    assert rows(db, "select count(*) from failures") == [(PAGES,)]
