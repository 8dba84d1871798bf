"""AccountingSpider: what a news spider does with a page it will not archive.

A page that failed, hit a bound or a trap, or was dropped is recorded (a `NotArchived` item,
which the pipeline writes to `failures`) or counted in the run's stats; this is the one place
that decides which. NewsSpider (base.py) inherits it and keeps discovery and requests. A page
whose reading raised is recorded too (CallbackErrors): Scrapy would only log it.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.store import GONE_STATUSES
from crawler.coordination import RunKeys
from crawler.items import NotArchived
from crawler.kinds import DUPLICATE, FRUITLESS, KNOWN_TRAP, OTHER, ROBOTS, TRAP, bound_counter
from crawler.outcomes import Ledger, Verdict, classify, source_url
from crawler.pending import PAST_BUDGET
from crawler.traps import FRUITLESS_SETTING, Trap, TrapDetector

ERROR_CHARS = 200  # of an exception's message in a failure's reason


class AccountingSpider(scrapy.Spider):
    """Records or counts every page it will not archive; subclasses set what is declared here."""

    ledger: Ledger
    traps: TrapDetector
    crawl_run: int | None
    frontier_keys: RunKeys | None = None  # a worker's run on a shared frontier (crawler/distributed.py)

    @property
    def site_id(self) -> str:
        """What the archive's `site` column holds: the spider name; for --url, the host."""
        return self.name

    def not_archived(
        self, url: str, kind: str, reason: str, status: int | None = None, bound: str | None = None
    ) -> NotArchived:
        return NotArchived(url, self.site_id, reason, kind, status, bound, self.crawl_run)

    def frontier_full(self) -> bool:
        """The run has queued as many requests as its page budget can answer
        (crawler/pending.py): a page named now is left for the next run, unrequested. Never
        on a shared frontier, which remembers the pages it refuses (crawler/frontier.py)."""
        if self.frontier_keys is not None:
            return False
        return bool(self.crawler.stats and self.crawler.stats.get_value(PAST_BUDGET))

    def count_skip(self, kind: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"govarchive/skipped/{kind}", count)

    def verdict(self, failure: Failure) -> Verdict:
        return classify(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"), self.settings.getint("DOWNLOAD_MAXSIZE"))

    def on_page_error(self, failure: Failure) -> Iterator[NotArchived]:
        """Every page named as a possible article that could not be fetched is recorded, whatever
        route named it; only what robots.txt forbids is merely counted."""
        request = failure.request  # type: ignore[attr-defined]
        url = source_url(request)
        self.ledger.settle(url)
        verdict = self.verdict(failure)
        if verdict.kind == ROBOTS:
            self.count_skip(ROBOTS)
            return
        if verdict.http_status in GONE_STATUSES and not self.ledger.is_candidate(url):
            self.crawler.stats.inc_value("govarchive/dead_links")  # recorded, but no fault of the crawl
        self.logger.warning("could not fetch %s: %s", url, verdict.reason)
        yield self.not_archived(url, verdict.kind, verdict.reason, verdict.http_status, verdict.setting)

    def refuse(self, url: str, trap: Trap) -> Iterator[NotArchived]:
        """A URL that is a trap by itself is recorded as a failure; pages of a fruitless shape
        are counted (the shape goes to the archive's `traps` table with the run). What an
        earlier run found is only counted."""
        self.ledger.settle(url)
        if self.traps.found_before(url):
            self.count_skip(KNOWN_TRAP)
        elif trap.setting == FRUITLESS_SETTING:
            self.count_skip(FRUITLESS)
            self.crawler.stats.inc_value(bound_counter(FRUITLESS_SETTING))
        else:
            self.logger.info("not following %s: %s", url, trap.reason)
            yield self.not_archived(url, TRAP, trap.reason, bound=trap.setting)

    def on_discovery_error(self, failure: Failure) -> Iterator[NotArchived]:
        """A missing sitemap, feed or listing is normal; one cut short by a bound is recorded,
        and one robots.txt forbids is counted (a run that archives nothing then says why)."""
        request = failure.request  # type: ignore[attr-defined]
        verdict = self.verdict(failure)
        if verdict.kind == ROBOTS:
            self.count_skip(ROBOTS)
        self.logger.info("discovery route not available: %s (%s)", request.url, verdict.reason)
        if verdict.setting is not None:
            yield self.not_archived(source_url(request), verdict.kind, verdict.reason, bound=verdict.setting)

    def on_dropped(self, request: Request, spider: Spider) -> None:
        """Scrapy's duplicate filter dropped a page request: a redirect to a page fetched already
        is counted; a page named again is not (another worker sharing the frontier has it)."""
        if spider is self and request.errback == self.on_page_error:  # a page request
            self.ledger.settle(source_url(request))
            if "redirect_urls" in request.meta:
                self.count_skip(DUPLICATE)

    def on_callback_error(self, response: Response, error: Exception) -> Iterator[NotArchived]:
        """A page whose reading raised (a page no rule foresaw, or a fault of ours): recorded as
        `other` with the error, its traceback logged; what the page yielded before stays."""
        url = source_url(response.request) if response.request else response.url
        self.ledger.settle(url)
        self.logger.error("could not read %s", url, exc_info=error)
        reason = f"crawler error: {type(error).__name__}: {str(error)[:ERROR_CHARS]}"
        yield self.not_archived(url, OTHER, reason, response.status)


class CallbackErrors:
    """Spider middleware: an exception an AccountingSpider's callback raises becomes a recorded
    failure of its page, where Scrapy would only log it and the page vanish from the run.
    Left to Scrapy: HTTP errors (the request's errback has them) and CloseSpider (a budget)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackErrors:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterator[NotArchived] | None:
        spider = self.crawler.spider
        if not isinstance(spider, AccountingSpider) or isinstance(exception, HttpError | CloseSpider):
            return None
        return spider.on_callback_error(response, exception)
