"""robots.txt read as far as RFC 9309 asks, no further, and obeyed as it asks.

Scrapy parses a site's whole robots.txt (up to DOWNLOAD_MAXSIZE, 32 MiB) with Protego, and then
checks every request against every rule: a robots.txt of 1,000,000 Disallow lines (24 MB) took
27 s of CPU to parse in the crawl's main process and 0.7 s for each request after. RFC 9309
(2.5) lets a crawler stop at a limit of at least 500 KiB, as Google does; what follows it is
ignored, here as there. The spider reads the same head for its `Sitemap:` lines.

And a robots.txt that cannot be read for a server error (5xx, after the retries) forbids the
whole site, as RFC 9309 (2.3.1.4) asks: the site may be in maintenance, its rules unknown.
Scrapy reads the error page as an empty robots.txt, which allows everything. The site's crawl
ends `failed` at once, and the next run asks again. (4xx means there are no rules, as the RFC
says; a network failure is left to the pages' own requests, which fail the same way and are
recorded so.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Self
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser, RobotParser
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.kinds import bound_counter

ROBOTS_SETTING = "GOVARCHIVE_ROBOTS_MAX_BYTES"
CRAWL_DELAY_SETTING = "GOVARCHIVE_MAX_CRAWL_DELAY"
CRAWL_DELAY = "govarchive_crawl_delay"  # request.meta: the seconds robots.txt asks between requests
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
ROBOTS_UNREACHABLE = "robots_unreachable"  # the crawl's finish reason: its site's robots.txt answered 5xx

log = logging.getLogger(__name__)


def robots_head(body: bytes, limit: int) -> tuple[bytes, bool]:
    """The whole lines of `body` within its first `limit` bytes, and whether any were cut."""
    if len(body) <= limit:
        return body, False
    return body[: body.rfind(b"\n", 0, limit) + 1], True


class BoundedRobotParser(ProtegoRobotParser):
    """Scrapy's Protego parser (ROBOTSTXT_PARSER) given only the head of a large robots.txt; the
    cut is logged and counted in the run's bounds."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        head, cut = robots_head(robotstxt_body, crawler.settings.getint(ROBOTS_SETTING))
        if cut:
            log.warning("robots.txt of %s bytes: only its first %s read", f"{len(robotstxt_body):,}", f"{len(head):,}")
            if crawler.stats is not None:
                crawler.stats.inc_value(bound_counter(ROBOTS_SETTING))
        return super().from_crawler(crawler, head)


class StrictRobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, mended twice and keeping Crawl-delay. Every request
    waiting for a site's robots.txt must get its rules: Scrapy (2.13 and later) has them all
    await one Deferred, whose first waiter takes the result, so the others got None (no rules)
    and were sent even where robots.txt forbids them (a site forbidding everything still had its
    home page and its API fetched). A robots.txt answered with a server error forbids the site
    (see above). And Scrapy ignores `Crawl-delay`, which agencies' robots.txt files set to ask
    for fewer requests: it is kept here, up to GOVARCHIVE_MAX_CRAWL_DELAY."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.max_crawl_delay = settings.getfloat(CRAWL_DELAY_SETTING)
        self.crawl_delays: dict[str, float] = {}  # netloc -> seconds between its requests
        self.next_send: dict[str, float] = {}  # netloc -> when its next request may go

    async def process_request(self, request: Request) -> None:  # type: ignore[override]  # no spider argument
        await super().process_request(request)
        netloc = urlparse_cached(request).netloc
        delay = self.crawl_delays.get(netloc, 0.0)
        if delay and not request.meta.get("dont_obey_robotstxt"):
            request.meta[CRAWL_DELAY] = delay  # for the pace shared by a crawl's workers (crawler/pace.py)
            await self._keep(delay, netloc)

    async def _keep(self, delay: float, netloc: str) -> None:
        """Each request takes the next free time one delay after the one before: they wait
        here, before the site's queue in Scrapy's downloader, which adds its own delay."""
        now = time.monotonic()
        send_at = max(now, self.next_send.get(netloc, 0.0))
        self.next_send[netloc] = send_at + delay
        if send_at > now:
            await asyncio.sleep(send_at - now)  # the crawl runs on asyncio's reactor

    async def robot_parser(self, request: Request) -> RobotParser | None:
        waited = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return waited if isinstance(stored, Deferred) else stored

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            log.error(
                "%s answered HTTP %d: nothing of %s is fetched in this run (RFC 9309: a robots.txt "
                "that cannot be read forbids everything); the next run asks again",
                response.url,
                response.status,
                netloc,
            )
            response = response.replace(body=DISALLOW_ALL)
            if self._is_the_sites_own(netloc):
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=ROBOTS_UNREACHABLE))
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers[netloc]
        if parser is not None and not isinstance(parser, Deferred):
            asked = parser.crawl_delay(self.user_agent) or 0.0
            if asked > self.max_crawl_delay:
                log.warning("%s asks for %g s between requests: keeping %g", response.url, asked, self.max_crawl_delay)
            self.crawl_delays[netloc] = min(asked, self.max_crawl_delay)

    def _is_the_sites_own(self, netloc: str) -> bool:
        """Not that of a host its attachments are on: those are only refused."""
        base_url = getattr(self.crawler.spider, "base_url", "")
        return bool(base_url) and urlsplit(base_url).netloc == netloc
