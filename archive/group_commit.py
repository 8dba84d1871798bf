"""One writer thread that owns the archive connection and commits writes in groups.

The trigram index costs most when each article is its own transaction: FTS5 flushes its
pending terms into a new segment at every commit and then merges segments. Committing the
articles that arrive within a short window together halves that cost (docs/performance.md).
Each write still runs in its own savepoint, so one bad record rolls back alone, and a
caller's future resolves only once its write is committed: nothing is reported as archived
that a kill could still lose.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from archive.db import open_archive
from archive.store import ArchiveWriter

log = logging.getLogger(__name__)
T = TypeVar("T")
WriteRequest = tuple[Callable[[ArchiveWriter], Any], Future[Any]]
_STOP = None


class CommitThread:
    """The one thread that owns the archive's connection: runs `write(writer)` calls in arrival
    order and commits at most every `max_delay` seconds or `max_batch` writes, whichever first."""

    def __init__(self, db_path: str | Path, max_batch: int, max_delay: float) -> None:
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.requests: queue.SimpleQueue[WriteRequest | None] = queue.SimpleQueue()
        self.batches = 0
        self.opened: Future[None] = Future()
        self.thread = threading.Thread(target=self._run, args=(db_path,), name="archive-writer", daemon=True)
        self.thread.start()
        self.opened.result()  # an archive that cannot be opened fails the caller now

    def submit(self, write: Callable[[ArchiveWriter], T]) -> Future[T]:
        future: Future[T] = Future()
        self.requests.put((write, future))
        return future

    def close(self) -> None:
        """Commits what is queued, then closes the connection."""
        self.requests.put(_STOP)
        self.thread.join()

    def _run(self, db_path: str | Path) -> None:
        try:
            writer = ArchiveWriter(open_archive(db_path))
        except BaseException as error:
            self.opened.set_exception(error)
            return
        self.opened.set_result(None)
        try:
            while self._write_batch(writer):
                pass
        finally:
            writer.db.close()

    def _write_batch(self, writer: ArchiveWriter) -> bool:
        """Waits for one write, then takes what arrives within max_delay into the same
        transaction. Returns False once asked to stop."""
        first = self.requests.get()
        if first is _STOP:
            return False
        done: list[tuple[Future[Any], Any, BaseException | None]] = []
        more = True
        try:
            with writer.db.atomic():
                done.append(self._write_one(writer, first))
                deadline = time.monotonic() + self.max_delay
                while len(done) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    try:
                        request = self.requests.get(timeout=left)
                    except queue.Empty:
                        break
                    if request is _STOP:
                        more = False
                        break
                    done.append(self._write_one(writer, request))
        except Exception as error:  # the commit itself failed: no write of the group was kept
            log.error("archive commit of %d writes failed: %s", len(done), error)
            done = [(future, None, error) for future, _, _ in done]
        self.batches += 1
        for future, result, failure in done:
            if failure is None:
                future.set_result(result)
            else:
                future.set_exception(failure)
        return more

    @staticmethod
    def _write_one(writer: ArchiveWriter, request: WriteRequest) -> tuple[Future[Any], Any, BaseException | None]:
        function, future = request
        try:
            with writer.db.atomic():  # a savepoint inside the group's transaction
                return future, function(writer), None
        except Exception as error:
            return future, None, error
