"""The archive's writer in a process of its own: the crawl hands it items, it writes them
(crawler.writes.write_item) on its commit thread (archive/group_commit.py), in arrival
order and committed in groups, and answers each with its counters once committed.

Why a process: SQLite's indexed writes were a third of the crawl process's CPU (1.5-2 ms an
article, docs/performance.md), on the cores that also run the reactor; in a process of their
own they leave the crawl's. An item crosses as a pickle of a few KB (the WARC record is
already in its file). The writer ignores SIGINT and SIGTERM: the crawl stops cleanly and
closes it, which commits what is queued; a crawl that dies (SIGKILL) closes its end of the
pipe, and the writer commits what it holds and exits.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import signal
import threading
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any

from crawler.workers import fork_with_pipe, name_process

log = logging.getLogger(__name__)
OPENED, FAILED, DONE, ERROR, CLOSED = "opened", "failed", "done", "error", "closed"
WRITER_NAME = "archive-writer"  # as ps and top show the writer (crawler.workers.name_process)


class WriterGoneError(RuntimeError):
    """The writer process ended before answering: the item is not known to be archived."""


class WriterProcess:
    """The crawl's side: `write(item)` is a Future of the item's counters; `batches` counts the
    commits so far."""

    def __init__(self, db_path: str | Path, max_batch: int, max_delay: float) -> None:
        self.conn, self.process = fork_with_pipe(serve, (str(db_path), max_batch, max_delay), WRITER_NAME)
        self.pending: dict[int, Future[list[str]]] = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.batches = 0
        kind, _, value = self.conn.recv()
        if kind == FAILED:  # an archive that cannot be opened fails the caller now
            self.process.join()
            raise value
        self.receiver = threading.Thread(target=self._receive, name="archive-writer-answers", daemon=True)
        self.receiver.start()

    def write(self, item: Any) -> Future[list[str]]:
        future: Future[list[str]] = Future()
        with self.lock:
            number = next(self.ids)
            self.pending[number] = future
            try:
                self.conn.send((number, item))
            except (OSError, ValueError) as error:  # the writer has gone
                self.pending.pop(number)
                future.set_exception(WriterGoneError(f"the archive writer {self._end()} ({error})"))
        return future

    def close(self) -> None:
        """Commits what is queued, then ends the writer."""
        with self.lock, contextlib.suppress(OSError, ValueError):  # a writer that has gone is closed
            self.conn.send(None)
        self.receiver.join()
        self.process.join()
        self.conn.close()

    def _receive(self) -> None:
        while True:
            try:
                kind, number, value, batches = self.conn.recv()
            except (EOFError, OSError):
                break
            self.batches = batches
            if kind == CLOSED:
                break
            with self.lock:
                future = self.pending.pop(number)
            if kind == DONE:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self.lock:  # the writer ended: nothing still pending was archived
            left, self.pending = list(self.pending.values()), {}
        for future in left:
            future.set_exception(WriterGoneError(f"the archive writer {self._end()} before committing this item"))

    def _end(self) -> str:
        """How the writer's process ended, in words (its exit code, once it is reaped)."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None or code == 0:
            return "ended"
        if code < 0:
            return f"was killed by signal {signal.Signals(-code).name}"
        return f"failed with exit code {code}"


def serve(conn: multiprocessing.connection.Connection, db_path: str, max_batch: int, max_delay: float) -> None:
    """The writer's process: items in, each one's counters (or its error) out once committed."""
    from archive.group_commit import CommitThread
    from crawler.writes import write_item

    name_process(WRITER_NAME)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        commit = CommitThread(db_path, max_batch, max_delay)
    except BaseException as error:
        conn.send((FAILED, None, error))
        return
    conn.send((OPENED, None, None))
    sending = threading.Lock()

    def answer(number: int, future: Future[list[str]]) -> None:
        error = future.exception()
        message = (
            (DONE, number, future.result(), commit.batches) if error is None else (ERROR, number, error, commit.batches)
        )
        with sending:
            try:
                conn.send(message)
            except (OSError, ValueError):  # the crawl has gone
                pass
            except Exception as unpicklable:  # an error that does not pickle: its words do
                conn.send((ERROR, number, RuntimeError(f"{type(error).__name__}: {error}"), commit.batches))
                log.debug("could not send %r: %s", error, unpicklable)

    while True:
        try:
            received = conn.recv()
        except (EOFError, OSError):  # the crawl is gone: commit what is queued, then end
            break
        if received is None:
            break
        number, item = received
        commit.submit(partial(write_item, item=item)).add_done_callback(partial(answer, number))
    commit.close()
    with sending, contextlib.suppress(OSError, ValueError):  # the crawl may have gone
        conn.send((CLOSED, None, None, commit.batches))
