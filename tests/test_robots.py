"""robots.txt is read up to RFC 9309's least parsing limit, in whole lines, and one that cannot
be read (a server error, no answer) forbids the site."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from crawler.robots import DISALLOW_ALL, robots_head
from tests.conftest import rows, run_cli, serving_on_loopback

ROBOTS = b"User-agent: *\nDisallow: /private/\nSitemap: http://127.0.0.1/sitemap.xml\n"
CRAWL_DELAY = 0.25  # seconds
NO_ANSWER = 0  # the status that has robots.txt's connection closed without an answer
PAGE = b'<html><body><a href="/news/1/">news</a><article><p>An article.</p></article></body></html>'


def test_a_robots_txt_within_the_limit_is_read_whole() -> None:
    assert robots_head(ROBOTS, len(ROBOTS)) == (ROBOTS, False)


def test_a_longer_one_is_cut_after_the_last_whole_line_within_the_limit() -> None:
    head, cut = robots_head(ROBOTS, ROBOTS.index(b"Sitemap") + 5)
    assert cut and head == b"User-agent: *\nDisallow: /private/\n"


@contextlib.contextmanager
def site_with_robots_txt(
    status: int, robots_txt: bytes, moved: bool = False
) -> Iterator[tuple[str, list[tuple[str, float]]]]:
    """robots.txt answers `status` and `robots_txt` (or closes the connection without an answer:
    NO_ANSWER), if `moved` after a permanent redirect to another host (localhost: the same
    server); every other page answers, linking to an article. Yields the URL and each path asked
    for, with when."""
    asked: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append((self.path, time.monotonic()))
            if self.path == "/robots.txt" and moved and self.headers["Host"].startswith("127.0.0.1"):
                self.send_response(301)
                port = self.headers["Host"].rsplit(":", 1)[1]
                self.send_header("Location", f"http://localhost:{port}/robots.txt")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/robots.txt" and status == NO_ANSWER:
                self.close_connection = True
                return
            code, body = (status, robots_txt) if self.path == "/robots.txt" else (200, PAGE)
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving_on_loopback(Handler) as base_url:
        yield base_url + "/", asked


def test_a_robots_txt_moved_to_another_host_is_followed_there_and_obeyed(tmp_path: Path) -> None:
    """RFC 9309 (2.3.1.2): redirects are followed, "even across authorities" (http to https,
    a host to its www name): refused as off-site, the rules were never read and all was allowed."""
    with site_with_robots_txt(200, DISALLOW_ALL, moved=True) as (base_url, asked):
        run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"), check=False)
    assert {path for path, _ in asked} == {"/robots.txt"}, asked


def test_robots_txt_is_downloaded_once_a_run_and_its_sitemap_lines_still_read(tmp_path: Path) -> None:
    """Scrapy's check and the spider (for the Sitemap: lines) both ask for it: a robots.txt
    without validators, as WordPress writes it, was downloaded twice every run."""
    with site_with_robots_txt(200, b"User-agent: *\nSitemap: /named-sitemap.xml\n") as (base_url, asked):
        run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"), check=False)
    paths = [path for path, _ in asked]
    assert paths.count("/robots.txt") == 1 and "/named-sitemap.xml" in paths, paths


def test_no_request_goes_out_before_the_rules_it_waited_for(tmp_path: Path) -> None:
    """The spider's first requests (its routes: the API, the feed, the home page) all wait for
    robots.txt at once; in Scrapy 2.13+ only the first of them got the rules."""
    with site_with_robots_txt(200, DISALLOW_ALL) as (base_url, asked):
        run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"), check=False)
    assert {path for path, _ in asked} == {"/robots.txt"}, asked


def test_a_site_whose_robots_txt_forbids_everything_fails_saying_why(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with site_with_robots_txt(200, DISALLOW_ALL) as (base_url, _):
        done = run_cli("crawl", "--url", base_url, "--db", str(db), check=False)
    assert done.returncode == 1
    ((run_status, reason),) = rows(db, "select status, stop_reason from crawl_runs")
    # the API, the feed, the home page and the three usual places of a sitemap
    assert run_status == "failed" and "robots.txt forbids 6 of the pages and routes" in reason, reason


@pytest.mark.parametrize(
    ("status", "answer"),
    [(503, b"<html>Service Unavailable</html>"), (NO_ANSWER, b"")],
    ids=["server-error", "no-answer"],
)
def test_a_robots_txt_that_cannot_be_read_forbids_the_whole_site(tmp_path: Path, status: int, answer: bytes) -> None:
    """RFC 9309 (2.3.1.4): an unreachable robots.txt (5xx, or no answer after the retries) means
    complete disallow. Scrapy reads the error page as an empty robots.txt and a download that
    failed as none (with a traceback): both allow everything."""
    db = tmp_path / "a.db"
    with site_with_robots_txt(status, answer) as (base_url, asked):
        done = run_cli("crawl", "--url", base_url, "--db", str(db), check=False)
    assert {path for path, _ in asked} == {"/robots.txt"}, asked
    assert done.returncode != 0 and "RFC 9309" in done.stderr and "Traceback" not in done.stderr
    ((run_status, reason),) = rows(db, "select status, stop_reason from crawl_runs")
    assert run_status == "failed" and reason.startswith("its robots.txt could not be read"), reason


def test_a_crawl_delay_is_kept_between_requests_to_the_site(tmp_path: Path) -> None:
    """Loopback is crawled without a delay of our own: the spacing is robots.txt's."""
    with site_with_robots_txt(200, b"User-agent: *\nCrawl-delay: %g\n" % CRAWL_DELAY) as (base_url, asked):
        run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"), check=False)
    times = [at for path, at in asked if path != "/robots.txt"]
    assert len(times) >= 3, asked
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= CRAWL_DELAY - 0.05, asked
