"""Progress during a crawl and a one-line summary at the end, from the crawl's counters
(including pages lost to an error in a pipeline, which only the item_error signal sees).

Progress is a line every GOVARCHIVE_PROGRESS_INTERVAL seconds in a log (cron), or a bar per
site at a terminal (GOVARCHIVE_PROGRESS_BAR, which the CLI sets there)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task
from twisted.python.failure import Failure

from crawler.kinds import BOUND_KINDS, DISK_FULL, ROBOTS
from crawler.outcomes import is_disk_full
from crawler.writes import WITHDRAWN

log = logging.getLogger("govarchive.progress")
COUNTERS = (
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "failures",
    "removed",
    "downloads",
    "lost",
)
BAR_INTERVAL = 0.5  # seconds between redraws of a progress bar


def summary(stats: dict[str, Any]) -> dict[str, int]:
    """The crawl's figures, from Scrapy stats."""
    figures = {name: int(stats.get(f"govarchive/{name}", 0) or 0) for name in COUNTERS}
    figures["articles_updated"] -= int(stats.get(WITHDRAWN, 0) or 0)
    figures["bounded"] = sum(int(stats.get(f"govarchive/failed/{kind}", 0) or 0) for kind in BOUND_KINDS)
    figures["known"] = int(stats.get("govarchive/skipped/known", 0) or 0)
    figures["robots"] = int(stats.get(f"govarchive/skipped/{ROBOTS}", 0) or 0)  # pages and routes it forbids
    figures["dead_links"] = int(stats.get("govarchive/dead_links", 0) or 0)  # 404/410 links from listings
    figures["skipped"] = sum(int(v or 0) for k, v in stats.items() if k.startswith("govarchive/skipped/"))
    figures["not_modified"] = int(stats.get("govarchive/http_304", 0) or 0)  # counted below the HTTP cache
    files = int(stats.get("govarchive/attachments/responses", 0) or 0)  # counted apart (crawl_runs.attachments)
    figures["pages"] = int(stats.get("response_received_count", 0) or 0) - files
    return figures


def describe(figures: dict[str, int]) -> str:
    """The run in one line, saying what became of the articles archived before: fetched again
    (updated, unchanged), gone (removed), or not due for a revisit (skipped as known)."""
    return (
        f"{figures['pages']} pages ({figures['downloads']} downloaded, {figures['not_modified']} not modified), "
        f"{figures['articles_new']} new, {figures['articles_updated']} updated, "
        f"{figures['articles_unchanged']} unchanged, {figures['removed']} removed articles"
        + (f", {figures['known']} known articles not due for a revisit (skipped)" if figures["known"] else "")
        + f", {figures['failures']} failures"
        + (f" ({figures['dead_links']} dead links on listings)" if figures["dead_links"] else "")
        + (f" ({figures['bounded']} at a bound or trap)" if figures["bounded"] else "")
        + (f", {skipped} other pages skipped on purpose" if (skipped := figures["skipped"] - figures["known"]) else "")
        + (f", {figures['lost']} pages lost to errors (see the log)" if figures["lost"] else "")
    )


@contextlib.contextmanager
def bar_logging(settings: Settings) -> Iterator[None]:
    """While progress bars are drawn, log lines are written above them, not through them
    (tqdm's handler replaces Scrapy's, at Scrapy's level)."""
    if not settings.getbool("GOVARCHIVE_PROGRESS_BAR"):
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():
        for handler in logging.getLogger().handlers:
            handler.setLevel(settings.get("LOG_LEVEL"))
        yield


class Progress:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.bar: Any = None
        self.interval = crawler.settings.getfloat("GOVARCHIVE_PROGRESS_INTERVAL")
        if crawler.settings.getbool("GOVARCHIVE_PROGRESS_BAR"):
            self.interval = BAR_INTERVAL
        self.loop: task.LoopingCall | None = None
        self.disk_full = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def item_error(self, item: object, response: object, spider: object, failure: Failure) -> None:
        """A pipeline raised on this item (a bug, a full disk): Scrapy logs it and moves on, so
        the page is neither archived nor recorded as a failure. Counted, so the run says so;
        on a full disk the crawl stops, since every later page would be lost too."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("govarchive/lost")
        if (
            failure.value is not None
            and is_disk_full(failure.value)
            and self.crawler.engine is not None
            and not self.disk_full
        ):
            self.disk_full = True
            log.error("the disk is full (%s): stopping the crawl", failure.value)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))

    def spider_opened(self, spider: Any) -> None:
        if self.crawler.settings.getbool("GOVARCHIVE_PROGRESS_BAR"):
            from tqdm import tqdm

            self.bar = tqdm(desc=getattr(spider, "site_id", spider.name), unit=" pages", leave=True)
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report)
            self.loop.start(self.interval, now=False)

    def report(self) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        if self.bar is None:
            log.info("progress: %s", describe(summary(stats)))
            return
        self.draw(stats)

    def draw(self, stats: dict[str, Any]) -> None:
        """Pages answered of the pages named so far (the total grows as routes find more), and
        what became of them."""
        figures = summary(stats)
        self.bar.total = int(stats.get("scheduler/enqueued", 0) or 0)
        self.bar.n = int(stats.get("scheduler/dequeued", 0) or 0)
        self.bar.set_postfix_str(
            f"{figures['articles_new']} new, {figures['articles_updated']} updated, "
            f"{figures['known'] + figures['articles_unchanged']} known, {figures['failures']} failures",
            refresh=True,
        )

    def spider_closed(self, spider: object, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        assert self.crawler.stats is not None
        if self.bar is not None:
            self.draw(self.crawler.stats.get_stats())
            self.bar.close()
        # The CLI prints the same summary; the log keeps it for whoever reads only the log.
        log.debug("done (%s): %s", reason, describe(summary(self.crawler.stats.get_stats())))
