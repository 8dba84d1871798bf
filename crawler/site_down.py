"""A site that stops answering ends its crawl, instead of holding the run for hours.

A site that goes silent mid-crawl (a server hung, a firewall that drops packets) times out
every request: at two requests at a time, three tries each and a 60 s timeout, 2,000 named
pages would take 50 hours, so the run holds on for the six hours of CLOSESPIDER_TIMEOUT (and
cron's next runs find it locked). Once GOVARCHIVE_DOWN_AFTER_TRIES tries in a row have had no
answer (no response, or 429, 502, 503 or 504) and none has had one for
GOVARCHIVE_DOWN_AFTER_SECONDS, or a site still asks to wait (Retry-After) after that long, the
site is down: its crawl ends `failed`, saying so, and the pages it did not reach are recorded
for the next run (crawler/run.py).
"""

from __future__ import annotations

import logging
import time

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

SITE_DOWN = "site_down"  # the crawl's finish reason
TRIES_SETTING = "GOVARCHIVE_DOWN_AFTER_TRIES"
SECONDS_SETTING = "GOVARCHIVE_DOWN_AFTER_SECONDS"
UNAVAILABLE = frozenset({429, 502, 503, 504})  # the site answers that it cannot answer

log = logging.getLogger(__name__)


class SiteDown:
    """A downloader middleware, between the retries and the network: it sees every try."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_tries = crawler.settings.getint(TRIES_SETTING)
        self.max_seconds = crawler.settings.getfloat(SECONDS_SETTING)
        self.unanswered = 0  # tries in a row without an answer
        self.last_answer = time.monotonic()  # or the crawl's start
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteDown:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in UNAVAILABLE:
            self.no_answer(asked_to_wait=b"Retry-After" in response.headers)
        else:
            self.unanswered, self.last_answer = 0, time.monotonic()
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, IgnoreRequest):  # our own refusals are not the site's silence
            self.no_answer()

    def no_answer(self, asked_to_wait: bool = False) -> None:
        """A site that asks to wait (Retry-After) is tried once per wait, so its tries never
        come quickly: that it still asks once the silence has lasted is enough."""
        self.unanswered += 1
        silent = time.monotonic() - self.last_answer
        enough_tries = self.unanswered >= self.max_tries or asked_to_wait
        if not enough_tries or silent < self.max_seconds or self.stopping:
            return
        engine = self.crawler.engine
        if engine is None:
            return
        self.stopping = True
        log.error(
            "the site stopped answering: %d tries in a row, none for %.0f s%s",
            self.unanswered,
            silent,
            " (it still asks to wait: Retry-After)" if asked_to_wait else "",
        )
        deferred_from_coro(engine.close_spider_async(reason=SITE_DOWN))
