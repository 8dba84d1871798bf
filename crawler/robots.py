"""robots.txt read as far as RFC 9309 asks, no further.

Scrapy parses a site's whole robots.txt (up to DOWNLOAD_MAXSIZE, 32 MiB) with Protego, and then
checks every request against every rule: a robots.txt of 1,000,000 Disallow lines (24 MB) took
27 s of CPU to parse in the crawl's main process and 0.7 s for each request after. RFC 9309
(2.5) lets a crawler stop at a limit of at least 500 KiB, as Google does; what follows it is
ignored, here as there. The spider reads the same head for its `Sitemap:` lines.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler
from scrapy.robotstxt import ProtegoRobotParser

from crawler.kinds import bound_counter

ROBOTS_SETTING = "GOVARCHIVE_ROBOTS_MAX_BYTES"

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
