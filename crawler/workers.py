"""Extraction off the crawler's reactor: a pool of worker processes.

trafilatura is CPU-bound (about 45-75 pages/s per core on 100 KB pages) while Scrapy
downloads several times faster; run in the item pipeline it stalls the crawler on one core.
The pipeline instead submits each page to this pool and awaits the result, so downloading,
extraction and archive writes overlap on every core. Back-pressure is Scrapy's own: the
scraper admits at most SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes of responses in processing, so the
queue in front of the pool, and memory, stay bounded.

`capture_and_extract` is the single code path of a crawl: in a worker or in-process, results are
identical. It also makes the page's WARC record, so the page's bytes cross to a worker once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crawler import settings
from crawler.items import header
from crawler.page_bounds import (
    CPU_SETTING,
    GIVE_BACK_AFTER_BYTES,
    MEMORY_SETTING,
    TEXT_SETTING,
    WALL_GRACE_SECONDS,
    WALL_PER_CPU_SECOND,
    CpuBoundError,
    cpu_bound,
    give_back_memory,
    limit_memory,
)

if TYPE_CHECKING:  # imported on first use: start_forkserver() runs before trafilatura loads
    from archive.warc import Capture, Original, Record
    from crawler.extract import ExtractionRules

EXTRACTION_MODULE = "crawler.extract"
ATTEMPTS = 2  # tries of a page whose worker died
WORKER_NAME = "extract-worker"  # as ps and top show a worker (Linux keeps 15 characters)

log = logging.getLogger(__name__)
# "bound": the page cost more than a bound of crawler/page_bounds.py; (its setting, the reason)
ExtractionResult = (
    tuple[Literal["ok"], dict[str, Any]] | tuple[Literal["error"], str] | tuple[Literal["bound"], tuple[str, str]]
)


def extract_page(
    body: bytes,
    content_type: str | None,
    url: str,
    rules: ExtractionRules,
    find_files: bool = False,
    seconds: float = 0,
    max_text: int = 0,
) -> ExtractionResult:
    """Decode and extract one page, within `seconds` of CPU, the worker's memory bound and
    `max_text` characters of text (0: no bound; crawler/page_bounds.py); never raises, so a
    bad page cannot kill a worker's task. The encoding is chosen here, from the bytes and the
    Content-Type header (crawler/encoding.py): the crawl's main process never decodes an
    article page."""
    from crawler.encoding import decode_html
    from crawler.extract import ExtractionError, extract

    result: ExtractionResult
    try:
        with cpu_bound(seconds):
            result = _within(extract(decode_html(body, content_type), url, rules, find_files).as_dict(), max_text)
    except CpuBoundError:
        log.warning("extraction of %s stopped after %g s of CPU", url, seconds)
        result = "bound", (CPU_SETTING, f"extraction: stopped after {seconds:g} s of CPU")
    except MemoryError:
        log.warning("extraction of %s stopped: out of memory", url)
        result = "bound", (MEMORY_SETTING, "extraction: the page needs more memory than a worker may take")
    except ExtractionError as error:
        result = "error", f"extraction: {error}"
    except Exception as error:  # a page that breaks a parser must not stop the crawl
        log.exception("extraction crashed on %s", url)
        result = "error", f"extraction crashed: {type(error).__name__}: {error}"
    if result[0] == "bound" or len(body) > GIVE_BACK_AFTER_BYTES:
        give_back_memory()
    return result


def _within(fields: dict[str, Any], max_text: int) -> ExtractionResult:
    """An extracted article, or the bound its text is past."""
    chars = len(fields["title"]) + len(fields["body"])
    if 0 < max_text < chars:
        reason = f"extraction: {chars:,} characters of text, past the {max_text:,} an article may store"
        return "bound", (TEXT_SETTING, reason)
    return "ok", fields


def failure_of(result: ExtractionResult) -> tuple[str | None, str]:
    """A failed extraction's bound (its setting, when it hit one) and its reason in words."""
    value = result[1]
    if isinstance(value, tuple):
        return value
    return None, str(value)


@dataclass(frozen=True)
class PageJob:
    """One page for a worker: its capture, when it was fetched, the site's rules, whether to
    find the files its post holds, its bounds of CPU seconds and characters of text (0: none),
    and whether to make its record."""

    capture: Capture
    fetched_at: str
    rules: ExtractionRules
    find_files: bool = False
    seconds: float = 0
    max_text: int = 0
    record: bool = True  # False: the page is archived already (reextract), no WARC record made
    original: Original | None = None  # the capture a re-fetch may repeat (archive/warc.py)


def capture_and_extract(job: PageJob) -> tuple[Record, ExtractionResult]:
    """The page's WARC record (archive.warc.response_record) and its extraction, made in one
    trip to a worker: the page's bytes cross once, it is parsed once, and the digests and
    compression of the record run beside extraction, not on the crawl's reactor."""
    capture = job.capture
    content_type = header(capture.headers, "Content-Type")
    result = extract_page(capture.body, content_type, capture.url, job.rules, job.find_files, job.seconds, job.max_text)
    return record_of(job), result


def record_of(job: PageJob) -> Record:
    from archive.warc import NO_RECORD, response_record

    return response_record(job.capture, job.fetched_at, job.original) if job.record else NO_RECORD


def worker_count(setting: str) -> int:
    """GOVARCHIVE_EXTRACT_WORKERS: a number, or "auto" (one per CPU); 0 extracts in-process."""
    if setting == "auto":
        return os.cpu_count() or 1
    return max(0, int(setting))


def start_forkserver() -> None:
    """Start the process workers are forked from, and have it import the extraction code.

    forkserver, not fork: the crawl process runs a reactor and threads that must not be
    copied. Each worker forked from the server starts with trafilatura loaded, where spawned
    workers each spent half a second of CPU importing it while the crawl started on the same
    cores. The crawl command calls this before its own imports, so both load side by side.
    """
    multiprocessing.forkserver.set_forkserver_preload([EXTRACTION_MODULE])
    multiprocessing.forkserver.ensure_running()


def worker_started(memory: int) -> None:
    name_process(WORKER_NAME)
    limit_memory(memory)
    exit_with_parent()


def name_process(name: str) -> None:
    """Name this process as ps, top and /proc show it (Linux; elsewhere nothing): an operator
    tells a crawl's extraction workers and archive writer apart, and `make bench` counts the
    CPU of each kind apart (bench/processes.py)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/comm").write_text(name)


def exit_with_parent() -> None:
    """In each worker: end when the crawl process ends, however it ends.

    A crawl killed by cron's timeout or SIGKILL cannot shut its pool down, and the workers,
    blocked on a task queue whose other end they also hold, would wait forever.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


Waiting = tuple[PageJob, "asyncio.Future[tuple[Record, ExtractionResult]]"]
Answer = list[tuple["Record", ExtractionResult]]


def capture_and_extract_all(jobs: list[PageJob]) -> Answer:
    """Several pages in one trip to a worker (see ExtractionPool._send)."""
    return [capture_and_extract(job) for job in jobs]


class WorkerDiedError(RuntimeError):
    """The worker ended (the OOM killer, a crash in a parser) before answering a trip."""


class WorkerStuckError(WorkerDiedError):
    """The worker gave no answer within its trip's wall bound, and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds


def wall_bound(jobs: list[PageJob]) -> float | None:
    """How long a trip may hold its worker (crawler/page_bounds.py); None when a page has no
    CPU bound."""
    if any(job.seconds <= 0 for job in jobs):
        return None
    return WALL_PER_CPU_SECOND * sum(job.seconds for job in jobs) + WALL_GRACE_SECONDS


def serve_pages(conn: Connection, memory: int) -> None:
    """A worker's process: trips of pages in, their records and extractions out, until the crawl
    sends None or its end of the pipe closes."""
    worker_started(memory)
    while True:
        try:
            jobs = conn.recv()
        except (EOFError, OSError):
            return
        if jobs is None:
            return
        try:
            answer: Answer | Exception = capture_and_extract_all(jobs)
        except Exception as error:  # handed to the crawl, as an executor would
            answer = RuntimeError(f"{type(error).__name__}: {error}")
        conn.send(answer)


def fork_with_pipe(target: Any, args: tuple[Any, ...], name: str) -> tuple[Connection, BaseProcess]:
    """A daemon process forked from the forkserver, given its end of a new pipe as its first
    argument; ours is returned. Only the child holds its end, so its death ends our reads."""
    start_forkserver()
    context = multiprocessing.get_context("forkserver")
    ours, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), name=name, daemon=True)
    process.start()
    child.close()
    return ours, process


class Worker:
    """One extraction process with a pipe of its own, replaced when it dies.

    Why not a ProcessPoolExecutor: its workers share one result pipe, and a worker killed while
    writing an answer larger than the pipe leaves half a message in it, which the executor's
    thread then waits to read forever: the crawl hung with every page after it unarchived
    (CPython 3.11; tests/test_workers.py). A pipe per worker ends when its worker does.
    """

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self._start()

    def _start(self) -> None:
        self.conn, self.process = fork_with_pipe(serve_pages, (self.memory,), WORKER_NAME)

    def run(self, jobs: list[PageJob]) -> Answer:
        """One trip, on a thread of the pool: blocks until the worker answers, dies, or passes
        the trip's wall bound."""
        seconds = wall_bound(jobs)
        try:
            self.conn.send(jobs)
            if seconds is not None and not self.conn.poll(seconds):
                log.error("an extraction worker gave no answer within %g s; starting another", seconds)
                self._restart()
                raise WorkerStuckError(seconds)
            answer: Answer | Exception = self.conn.recv()
        except (EOFError, OSError) as error:
            log.error("an extraction worker died; starting another")
            self._restart()
            raise WorkerDiedError("the extraction worker died") from error
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _restart(self) -> None:
        self.process.kill()
        self.stop()
        self._start()

    def stop(self) -> None:
        """Ends the worker once its trip is done; a worker that has died is only reaped."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join()
        self.conn.close()


class ExtractionPool:
    """The crawl's pages go to the workers in trips: a page goes at once while a worker is free
    to take it; pages that arrive while every worker has a trip go together in the next free
    worker's trip, up to GOVARCHIVE_EXTRACT_BATCH. One page a trip, the threads and the reactor
    woke twice for every page, and the workers waited on them."""

    def __init__(
        self,
        workers: int,
        batch: int = settings.GOVARCHIVE_EXTRACT_BATCH,
        memory: int = settings.GOVARCHIVE_EXTRACT_MEMORY,
    ) -> None:
        self.batch = max(1, batch)
        self.workers = [Worker(memory) for _ in range(workers)]  # all started before the first page
        self.idle = list(self.workers)
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix="extraction-trip")  # one waits on each worker
        self.waiting: list[Waiting] = []
        self.trips: set[asyncio.Task[None]] = set()  # sent and not back

    async def capture_and_extract(self, job: PageJob) -> tuple[Record, ExtractionResult]:
        future: asyncio.Future[tuple[Record, ExtractionResult]] = asyncio.get_running_loop().create_future()
        self.waiting.append((job, future))
        self._send()
        return await future

    async def gather(self, jobs: list[PageJob]) -> list[tuple[Record, ExtractionResult]]:
        """Every page of `jobs`, in order, handed over at once (reextract's chunks)."""
        return await asyncio.gather(*map(self.capture_and_extract, jobs))

    def _send(self) -> None:
        while self.waiting and self.idle:
            trip, self.waiting = self.waiting[: self.batch], self.waiting[self.batch :]
            task = asyncio.ensure_future(self._trip(self.idle.pop(), trip))
            self.trips.add(task)
            task.add_done_callback(self.trips.discard)

    async def _trip(self, worker: Worker, trip: list[Waiting]) -> None:
        """A worker that dies fails the pages it held: each page of the trip is then tried alone
        on the worker that replaced it, so only a page that kills its worker twice is recorded as
        a failure, and the pages of other trips are not touched."""
        jobs = [job for job, _ in trip]
        try:
            try:
                results = await self._run(worker, jobs)
            except WorkerDiedError:
                results = [await self._alone(worker, job) for job in jobs]
        except asyncio.CancelledError:  # the crawl is closing: the worker is not given work again
            for _, future in trip:
                future.cancel()
            raise
        except Exception as error:  # each page's to handle
            for _, future in trip:
                if not future.done():
                    future.set_exception(error)
        else:
            for (_, future), result in zip(trip, results, strict=True):
                if not future.done():
                    future.set_result(result)
        self.idle.append(worker)
        self._send()

    async def _alone(self, worker: Worker, job: PageJob) -> tuple[Record, ExtractionResult]:
        """One at a time: a page that kills its worker again takes no other page's try with it.
        A page that held its worker past the wall bound twice is past a bound of ours."""
        for _ in range(ATTEMPTS - 1):
            try:
                return (await self._run(worker, [job]))[0]
            except WorkerStuckError as error:
                result: ExtractionResult = "bound", (CPU_SETTING, f"extraction: {error}, {ATTEMPTS} times")
            except WorkerDiedError:
                result = "error", f"extraction worker died {ATTEMPTS} times on this page"
        return record_of(job), result

    async def _run(self, worker: Worker, jobs: list[PageJob]) -> Answer:
        return await asyncio.get_running_loop().run_in_executor(self.threads, worker.run, jobs)

    def close(self) -> None:
        """Waits for the trips under way, then ends every worker."""
        self.threads.shutdown(wait=True, cancel_futures=True)
        for worker in self.workers:
            worker.stop()
