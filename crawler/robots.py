"""robots.txt read as far as RFC 9309 asks, no further, and obeyed as it asks.

Scrapy parses a site's whole robots.txt (up to DOWNLOAD_MAXSIZE, 32 MiB) with Protego, and then
checks every request against every rule: a robots.txt of 1,000,000 Disallow lines (24 MB) took
27 s of CPU to parse in the crawl's main process and 0.7 s for each request after. RFC 9309
(2.5) lets a crawler stop at a limit of at least 500 KiB, as Google does; what follows it is
ignored, here as there. The spider reads the same head for its `Sitemap:` lines.

And a robots.txt that cannot be read, for a server error (5xx) or no answer at all (refused,
timed out, after the retries), forbids the whole site, as RFC 9309 (2.3.1.4) asks: the site
may be in maintenance, its rules unknown. Scrapy reads the error page as an empty robots.txt
and a failed download as no robots.txt, both of which allow everything (and logs the latter
with a traceback). The site's crawl ends `failed` at once, saying why in one line, and the next
run asks again. (4xx means there are no rules, as the RFC says.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Self
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser, RobotParser
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.kinds import bound_counter

ROBOTS_SETTING = "GOVARCHIVE_ROBOTS_MAX_BYTES"
CRAWL_DELAY_SETTING = "GOVARCHIVE_MAX_CRAWL_DELAY"
CRAWL_DELAY = "govarchive_crawl_delay"  # request.meta: the seconds robots.txt asks between requests
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
ROBOTS_UNREACHABLE = "robots_unreachable"  # the crawl's finish reason: its site's robots.txt could not be read

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


class WithoutScrapysTraceback(logging.Filter):
    """Scrapy logs a robots.txt it could not download with a traceback; StrictRobotsTxt says it in
    one line, and what it means."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.ERROR and str(record.msg).startswith("Error downloading"))


SCRAPYS_ROBOTS_LOG = logging.getLogger(RobotsTxtMiddleware.__module__)
SCRAPYS_ROBOTS_LOG.addFilter(WithoutScrapysTraceback())


class StrictRobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, mended twice and keeping Crawl-delay. Every request
    waiting for a site's robots.txt must get its rules: Scrapy (2.13 and later) has them all
    await one Deferred, whose first waiter takes the result, so the others got None (no rules)
    and were sent even where robots.txt forbids them (a site forbidding everything still had its
    home page and its API fetched). A robots.txt that cannot be read forbids the site (see
    above). And Scrapy ignores `Crawl-delay`, which agencies' robots.txt files set to ask
    for fewer requests: it is kept here, up to GOVARCHIVE_MAX_CRAWL_DELAY."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.max_crawl_delay = settings.getfloat(CRAWL_DELAY_SETTING)
        self.crawl_delays: dict[str, float] = {}  # netloc -> seconds between its requests
        self.next_send: dict[str, float] = {}  # netloc -> when its next request may go
        self.fetched: dict[str, Response] = {}  # netloc -> the site's robots.txt, for the spider's request

    async def process_request(self, request: Request) -> Response | None:  # type: ignore[override]  # no spider argument
        await super().process_request(request)
        if (fetched := self._fetched_for(request)) is not None:
            return fetched
        netloc = urlparse_cached(request).netloc
        delay = self.crawl_delays.get(netloc, 0.0)
        if delay and not request.meta.get("dont_obey_robotstxt"):
            request.meta[CRAWL_DELAY] = delay  # for the pace shared by a crawl's workers (crawler/pace.py)
            await self._keep(delay, netloc)
        return None

    def _fetched_for(self, request: Request) -> Response | None:
        """The site's robots.txt as fetched here, for the spider's own request for it (it reads
        the Sitemap: lines): one download, not two. A robots.txt without validators, as
        WordPress writes it, was downloaded twice every run (the cache cannot revalidate it).
        Flagged `cached`: neither counted as a download nor stored in the cache again."""
        url = urlparse_cached(request)
        if request.meta.get("dont_obey_robotstxt") or url.path != "/robots.txt" or url.query:
            return None
        fetched = self.fetched.pop(url.netloc, None)
        return None if fetched is None else fetched.replace(request=request, flags=[*fetched.flags, "cached"])

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
            self._unreachable(f"HTTP {response.status}", netloc)
            response = response.replace(body=DISALLOW_ALL)
        elif self._is_the_sites_own(netloc):
            self.fetched[netloc] = response  # the spider reads its head, as the parser does
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers[netloc]
        if parser is not None and not isinstance(parser, Deferred):
            asked = parser.crawl_delay(self.user_agent) or 0.0
            if asked > self.max_crawl_delay:
                log.warning("%s asks for %g s between requests: keeping %g", response.url, asked, self.max_crawl_delay)
            self.crawl_delays[netloc] = min(asked, self.max_crawl_delay)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        """No answer (after the retries): the rules are unknown, so everything is forbidden."""
        if isinstance(exc, IgnoreRequest):  # refused on our side (a budget): Scrapy's way
            super()._robots_error(exc, netloc)
            return
        self._unreachable(str(exc).rstrip("."), netloc)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def _unreachable(self, why: str, netloc: str) -> None:
        log.error(
            "the robots.txt of %s could not be read (%s): nothing of it is fetched in this run "
            "(RFC 9309: a robots.txt that cannot be read forbids everything); the next run asks again",
            netloc,
            why,
        )
        if self._is_the_sites_own(netloc):
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=ROBOTS_UNREACHABLE))

    def _is_the_sites_own(self, netloc: str) -> bool:
        """Not that of a host its attachments are on: those are only refused."""
        base_url = getattr(self.crawler.spider, "base_url", "")
        return bool(base_url) and urlsplit(base_url).netloc == netloc
