"""A site that goes silent mid-crawl ends its run as `failed` in seconds, saying so, with every
page it did not answer recorded for the next run (crawler/site_down.py). Without the rule this
crawl took 42 s, every page timing out three times (loopback is fetched 16 at a time), and
ended failed for its failure rate."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from mirror import formats
from tests.conftest import GOVARCHIVE, rows, serving_on_loopback
from tests.shared_crawl import ENV, Crawl, finish

PAGES = 200  # named by the sitemap; none answered
MAX_RUN_SECONDS = 60


@contextlib.contextmanager
def silent_site() -> Iterator[str]:
    """Answers robots.txt and its sitemap, then never answers a page."""
    stop = threading.Event()

    class Silent(BaseHTTPRequestHandler):
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
            if self.path.startswith("/news/"):
                stop.wait(30)  # silence, as a hung server or a firewall dropping packets
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving_on_loopback(Silent) as base_url:
        try:
            yield base_url + "/"
        finally:
            stop.set()  # the silent answers end before the server does


def test_a_site_that_stops_answering_ends_its_run_failed_with_every_page_recorded(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    env = {
        **os.environ,
        "GOVARCHIVE_DOWNLOAD_TIMEOUT": "1",
        "GOVARCHIVE_DOWN_AFTER_TRIES": "6",
        "GOVARCHIVE_DOWN_AFTER_SECONDS": "2",
    }
    with silent_site() as base_url:
        done = subprocess.run(
            [str(GOVARCHIVE), "crawl", "--url", base_url, "--routes", "sitemap", "--db", str(db)],
            capture_output=True,
            text=True,
            env=env,
            timeout=MAX_RUN_SECONDS,
        )
    assert done.returncode != 0
    ((status, reason),) = rows(db, "select status, stop_reason from crawl_runs")
    assert (status, reason) == ("failed", "the site stopped answering (see the log); the next run fetches what is left")
    assert "the site stopped answering" in done.stderr
    kinds = dict(rows(db, "select kind, count(*) from failures group by kind"))
    assert sum(kinds.values()) == PAGES and set(kinds) <= {"timeout", "connection"}, kinds


def test_a_shared_crawl_of_a_site_that_stops_answering_ends_its_run_failed_too(frontier: str, tmp_path: Path) -> None:
    """The writer closes a shared run (`crawl --redis`) from the reasons its workers gave: a
    worker's `site_down` must fail the run, with the queued pages left for the next one."""
    env = {
        **ENV,
        "GOVARCHIVE_DOWNLOAD_TIMEOUT": "1",
        "GOVARCHIVE_DOWN_AFTER_TRIES": "6",
        "GOVARCHIVE_DOWN_AFTER_SECONDS": "2",
    }
    with silent_site() as base_url:
        crawl = Crawl(frontier, base_url, tmp_path)
        writer = crawl.writer()
        worker_done, writer_done = finish(crawl.worker(env)), finish(writer)
    assert worker_done.returncode != 0 and "the site stopped answering" in worker_done.output
    assert writer_done.returncode != 0
    ((status, reason),) = rows(crawl.db, "select status, stop_reason from crawl_runs")
    assert (status, reason) == ("failed", "the site stopped answering (see the log); the next run fetches what is left")
    kinds = dict(rows(crawl.db, "select kind, count(*) from failures group by kind"))
    assert sum(kinds.values()) == PAGES and set(kinds) <= {"timeout", "connection"}, kinds
