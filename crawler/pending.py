"""Requests waiting to be fetched: the first GOVARCHIVE_QUEUE_MEMORY in memory, the rest on disk.

A first crawl of a large site names its whole sitemap at once: 200,000 pages waiting as
Scrapy requests took the crawl's main process to 906 MB. Scrapy keeps waiting requests on
disk only with a job directory, which also makes a run resume the last one's queue and seen
set, where a cron run must start from the site's routes. So this scheduler gives Scrapy's own
disk queue a folder that is this run's only, beside the archive (`queue/`), and removes it
when the run ends; a run killed before that leaves it to the site's next run, which empties
it first. The site's lock (crawler/locks.py) keeps two runs from sharing it.

No more requests are queued than the run's page budget could ever answer: a site whose
sitemaps named a million pages held a run with a budget of 300 pages for four minutes while
it queued them all (1.4 GB). The pages left unqueued stay named and unsettled in the spider's
ledger, so the run accounts for them as pages its budget left (crawler/run.py).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path
from typing import Self

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred

from crawler.attachments import ATTACHMENT
from crawler.budget import PAGE_BUDGET
from crawler.locks import site_stem

MEMORY_SETTING = "GOVARCHIVE_QUEUE_MEMORY"
PAST_BUDGET = "govarchive/past_page_budget"  # requests not queued: the page budget would stop the run first

log = logging.getLogger(__name__)


class SpillingScheduler(Scheduler):
    """Scrapy's scheduler; its disk queue takes what the memory queue has no room for. The
    memory queue is popped first, so a small crawl never touches the disk."""

    memory: int = 0
    folder: Path | None = None
    budget: int = 0  # responses the run may have (0: no bound), so requests it may queue
    queued: int = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.memory = crawler.settings.getint(MEMORY_SETTING)
        scheduler.budget = crawler.settings.getint(PAGE_BUDGET)
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        """Queued, unless the run has queued as many requests as its page budget lets it have
        responses: then it is taken and let go (not dropped: Scrapy would have the spider settle
        a dropped page as a duplicate). A file an article holds is always queued: files have
        budgets of their own (crawler/budget.py), and one never fetched is owed to the next run."""
        if self.budget and self.queued >= self.budget and ATTACHMENT not in request.meta:
            assert self.stats is not None
            self.stats.inc_value(PAST_BUDGET)
            return True
        queued = super().enqueue_request(request)
        self.queued += queued
        return queued

    def open(self, spider: Spider) -> Deferred[None] | None:
        assert self.crawler is not None
        db = Path(self.crawler.settings["GOVARCHIVE_DB"]).resolve()
        self.folder = db.parent / "queue" / site_stem(db, getattr(spider, "site_id", spider.name))
        shutil.rmtree(self.folder, ignore_errors=True)  # a killed run's: its requests were this run's to name again
        self.dqdir = self._dqdir(str(self.folder))
        return super().open(spider)

    def close(self, reason: str) -> Deferred[None] | None:
        closed = super().close(reason)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # other archives' runs may be using it
                self.folder.parent.rmdir()
        assert self.stats is not None
        if on_disk := self.stats.get_value("scheduler/enqueued/disk", 0):
            log.info("%d requests waited on disk (past %s)", on_disk, MEMORY_SETTING)
        return closed

    def _dqpush(self, request: Request) -> bool:
        """To disk only when the memory queue is full (False: into memory)."""
        return len(self.mqs) >= self.memory and super()._dqpush(request)
