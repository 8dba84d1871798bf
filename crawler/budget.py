"""Per-site budgets: requests and bytes (ours), responses and wall time (Scrapy's CloseSpider).

Reaching any of them stops the site's crawl with a reason that names the bound; the pages
its routes named but it did not fetch are then recorded as `budget` failures (crawler/run.py),
so the next run knows what is left.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from crawler.attachments import ATTACHMENT
from crawler.kinds import BUDGET
from crawler.outcomes import Refused

PAGE_BUDGET = "CLOSESPIDER_PAGECOUNT"  # responses a site's run may have: GOVARCHIVE_MAX_PAGES, --max-pages
PAGE_BUDGET_STOP = "closespider_pagecount"  # Scrapy's CloseSpider reason for the page budget
# A crawl's finish reason when a budget stopped it -> the setting that set the budget.
BUDGET_STOPS = {
    "budget_requests": "GOVARCHIVE_MAX_REQUESTS",
    "budget_bytes": "GOVARCHIVE_MAX_BYTES",
    PAGE_BUDGET_STOP: PAGE_BUDGET,
    "closespider_timeout": "CLOSESPIDER_TIMEOUT",  # GOVARCHIVE_MAX_SECONDS, --max-seconds
    "closespider_itemcount": "CLOSESPIDER_ITEMCOUNT",  # govarchive record --pages
}
FILES_BUDGET = "GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN"


class Budget:
    """A downloader middleware: counts one site's requests and response bytes. Attachments'
    bytes have their own budget, which refuses further files (each a `budget` failure) but
    never stops the crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_requests = crawler.settings.getint("GOVARCHIVE_MAX_REQUESTS")
        self.max_bytes = crawler.settings.getint("GOVARCHIVE_MAX_BYTES")
        self.max_file_bytes = crawler.settings.getint(FILES_BUDGET)
        self.requests = 0
        self.bytes = 0
        self.file_bytes = 0
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Budget:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        self.requests += 1
        if self.max_requests and self.requests > self.max_requests:
            self.stop("budget_requests")
            reason = f"budget: the site's {self.max_requests:,} requests were spent"
            raise Refused(BUDGET, reason, BUDGET_STOPS["budget_requests"])
        if ATTACHMENT in request.meta:
            self.check_files_budget()

    def process_response(self, request: Request, response: Response) -> Response:
        if ATTACHMENT in request.meta:  # checked again: up to CONCURRENT_REQUESTS pass process_request at once
            self.check_files_budget()
            self.file_bytes += len(response.body)
            return response
        self.bytes += len(response.body)
        if self.max_bytes and self.bytes > self.max_bytes:
            self.stop("budget_bytes")
        return response

    def check_files_budget(self) -> None:
        if self.max_file_bytes and self.file_bytes >= self.max_file_bytes:
            reason = f"budget: this run fetched {self.max_file_bytes:,} bytes of attachments already"
            raise Refused(BUDGET, reason, FILES_BUDGET)

    def stop(self, reason: str) -> None:
        if self.stopping or self.crawler.engine is None:
            return
        self.stopping = True
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
