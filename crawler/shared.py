"""One extraction pool and one archive writer per crawl process, however many sites it runs.

`govarchive crawl --all` runs every site side by side in one process, and Scrapy gives each
site its own item pipelines. Were each to start its own pool and writer, twenty sites would
start forty worker processes on a two-core machine, and twenty connections would queue for
the archive's single write lock. The pipelines take both from here instead: the first site
to open starts them, the last to close stops them. Pipelines open and close on the reactor
thread, so the counts need no lock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

from crawler.workers import ExtractionPool
from crawler.writer_process import WriterProcess

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Shared(Generic[K, T]):
    """`start(key)` on the first acquire of a key, `stop(resource)` on its last release."""

    def __init__(self, start: Callable[[K], T], stop: Callable[[T], None]) -> None:
        self.start, self.stop = start, stop
        self.resources: dict[K, tuple[T, int]] = {}

    def acquire(self, key: K) -> T:
        resource, users = self.resources.get(key) or (self.start(key), 0)
        self.resources[key] = (resource, users + 1)
        return resource

    def release(self, key: K) -> None:
        resource, users = self.resources.pop(key)
        if users > 1:
            self.resources[key] = (resource, users - 1)
        else:
            self.stop(resource)


WriterKey = tuple[str, int, float]  # archive path, most writes per commit, longest wait


def writer_key(db_path: str, max_batch: int, max_delay: float) -> WriterKey:
    return str(Path(db_path).resolve()), max_batch, max_delay


EXTRACTION_POOLS: Shared[int, ExtractionPool] = Shared(ExtractionPool, ExtractionPool.close)
ARCHIVE_WRITERS: Shared[WriterKey, WriterProcess] = Shared(lambda key: WriterProcess(*key), WriterProcess.close)
