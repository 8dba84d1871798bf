"""The last item pipeline of a distributed crawl: results go to the archive's one writer.

In a crawl across hosts, workers download and extract; only `govarchive ingest` writes the
archive (crawler/ingest.py). Each outcome (an Article with its WARC record, a 304, a page not
archived and why) is appended to one Redis stream, encoded by crawler/wire.py. The stream is
the hand-off: the writer acknowledges an entry only once it is committed, so a writer killed
mid-batch loses nothing. Workers pause while the results not yet written exceed
GOVARCHIVE_REDIS_BACKLOG_BYTES, so a slow writer bounds Redis's memory instead of filling it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis import Redis
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import wire
from crawler.items import AttachmentFailed, NotArchived

log = logging.getLogger(__name__)
BACKLOG_POLL_SECONDS = 0.2


def results_key(namespace: str) -> str:
    """The stream of results every run's workers append to and the writer reads."""
    return f"{namespace}:results"


def backlog_key(namespace: str) -> str:
    """Bytes of results appended and not yet acknowledged by the writer."""
    return f"{namespace}:backlog"


class HandoffPipeline:
    def __init__(self, crawler: Crawler, redis: Redis, namespace: str) -> None:
        self.stats = crawler.stats
        self.redis = redis
        self.stream = results_key(namespace)
        self.backlog = backlog_key(namespace)
        self.max_backlog = crawler.settings.getint("GOVARCHIVE_REDIS_BACKLOG_BYTES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandoffPipeline:
        settings = crawler.settings
        redis = Redis.from_url(settings.get("GOVARCHIVE_REDIS_URL"))
        return cls(crawler, redis, settings.get("GOVARCHIVE_REDIS_NAMESPACE"))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, wire.Result):
            return item
        await self.wait_for_writer()
        entry = wire.encode_result(item)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.stream, entry)  # type: ignore[arg-type]
            pipe.incrby(self.backlog, wire.entry_bytes(entry))
            pipe.execute()
        if self.stats is not None:
            self.stats.inc_value("govarchive/handed_off")
        if isinstance(item, NotArchived | AttachmentFailed):  # as crawler.pipelines.ArchivePipeline
            raise DropItem(f"handed off failure for {item.url}: {item.reason}", log_level="DEBUG")
        return item

    async def wait_for_writer(self) -> None:
        """Back-pressure: while the writer is behind by more than the bound, this item (and so,
        through Scrapy's own limits, the crawl) waits."""
        waited = False
        while int(self.redis.get(self.backlog) or 0) > self.max_backlog:
            if not waited:
                log.info("the archive writer is %s bytes behind; waiting", self.redis.get(self.backlog))
                waited = True
            await asyncio.sleep(BACKLOG_POLL_SECONDS)
