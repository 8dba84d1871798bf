"""The extraction pool: started whole, before the first page arrives; a page past a bound of
crawler/page_bounds.py is stopped, and its worker goes on; a page that kills its worker fails
alone, whatever pages travelled with it; workers and the archive writer start without Scrapy."""

import asyncio
import dataclasses
import gc
import multiprocessing
import os
import struct
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any
from unittest.mock import ANY

import pytest

from archive.warc import Capture
from crawler.extract import ExtractionRules
from crawler.workers import EXTRACTION_MODULE, ExtractionPool, PageJob, capture_and_extract
from tests.conftest import read_fixture
from tests.hostile_pages import link_bomb

URL = "http://127.0.0.1/news/"
WORKER_MEMORY = 300 * 2**20  # address space: ~260 MB after a first page; the link bomb wants 200 MB more


def test_every_worker_is_started_with_the_pool_not_one_per_task() -> None:
    pool = ExtractionPool(2)
    try:
        assert len(multiprocessing.active_children()) == 2
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("memory", "seconds", "bound"),
    [
        (0, 0.2, ("GOVARCHIVE_EXTRACT_SECONDS", "extraction: stopped after 0.2 s of CPU")),
        (
            WORKER_MEMORY,
            60,
            ("GOVARCHIVE_EXTRACT_MEMORY", "extraction: the page needs more memory than a worker may take"),
        ),
    ],
    ids=["cpu", "memory"],
)
def test_a_page_past_a_bound_is_stopped_and_its_worker_goes_on(memory: int, seconds: float, bound: tuple) -> None:
    page = seed_page(seconds)
    bomb = dataclasses.replace(page, capture=dataclasses.replace(page.capture, body=link_bomb(60_000)))
    results = extract_all(ExtractionPool(1, batch=1, memory=memory), [bomb, page], timeout=120)
    assert [result for _, result in results] == [("bound", bound), ("ok", ANY)]


def test_a_page_with_more_text_than_an_article_may_store_is_stopped_at_the_bound() -> None:
    page = seed_page()
    _, (outcome, fields) = capture_and_extract(page)
    assert outcome == "ok" and isinstance(fields, dict)
    chars = len(fields["title"]) + len(fields["body"])
    assert capture_and_extract(dataclasses.replace(page, max_text=chars))[1][0] == "ok"
    reason = f"extraction: {chars:,} characters of text, past the {chars - 1:,} an article may store"
    assert capture_and_extract(dataclasses.replace(page, max_text=chars - 1))[1] == (
        "bound",
        ("GOVARCHIVE_MAX_TEXT_CHARS", reason),
    )


def seed_page(seconds: float = 0) -> PageJob:
    seed = read_fixture("cdd-mirror", "article-seed.html").encode()
    capture = Capture(URL, 200, [("Content-Type", "text/html")], seed)
    return PageJob(capture, "2024-01-01T00:00:00Z", ExtractionRules(), seconds=seconds)


def extract_all(pool: ExtractionPool, jobs: list[PageJob], timeout: float = 60) -> list[Any]:
    """The pages handed to the pool all at once, as a busy crawl hands them; the pool closed after."""

    async def crawl() -> list[Any]:
        return await asyncio.wait_for(pool.gather(jobs), timeout)

    try:
        return asyncio.run(crawl())
    finally:
        pool.close()


class KillsItsWorker(ExtractionRules):
    """Rules whose unpickling, in the worker, ends the worker's process at once."""

    def __reduce__(self) -> tuple[Any, ...]:
        return os._exit, (1,)


def answer_in_part_and_die() -> None:
    """In a worker: write the start of an answer of 1 MB, more than a pipe holds, then end, as
    a worker the OOM killer takes while it answers."""
    for conn in (found for found in gc.get_objects() if isinstance(found, Connection) and found.writable):
        os.write(conn.fileno(), struct.pack("!i", 2**20) + b"x" * 1000)
    os._exit(1)


class DiesMidAnswer(ExtractionRules):
    def __reduce__(self) -> tuple[Any, ...]:
        return answer_in_part_and_die, ()


@pytest.mark.parametrize("killer", [KillsItsWorker(), DiesMidAnswer()], ids=["before-answering", "mid-answer"])
def test_a_page_that_kills_its_worker_fails_alone_and_the_pages_of_its_trip_are_extracted(
    killer: ExtractionRules,
) -> None:
    """One worker, eight pages at once: the first goes alone, the other seven wait and travel
    together; the worker dies under the fourth, and each page of its trip is tried again alone.
    A worker that dies halfway through its answer left a shared result pipe waiting forever
    for the rest of it (a ProcessPoolExecutor's): here each worker has its own."""
    jobs = [seed_page()] * 8
    jobs[3] = dataclasses.replace(seed_page(), rules=killer)
    results = extract_all(ExtractionPool(1, batch=8), jobs)
    assert [result[0] for _, result in results] == ["ok"] * 3 + ["error"] + ["ok"] * 4
    assert results[3][1] == ("error", "extraction worker died 2 times on this page")
    assert all(record for record, _ in results)  # each page's WARC record all the same


class BlocksItsWorker(ExtractionRules):
    """Rules whose unpickling, in the worker, blocks it for an hour without spending CPU: no CPU
    bound fires, as none does for a worker stuck in C code."""

    def __reduce__(self) -> tuple[Any, ...]:
        return time.sleep, (3600,)


def test_a_page_that_holds_its_worker_past_the_wall_bound_is_stopped_and_the_others_are_extracted() -> None:
    """Each page alone, half a CPU second each: the crawl waits three seconds of wall time for an
    answer (twice the CPU and two seconds of grace), then stops the worker and tries the page
    once more on a new one."""
    page = seed_page(seconds=0.5)
    jobs = [page, dataclasses.replace(page, rules=BlocksItsWorker()), page, page]
    results = extract_all(ExtractionPool(1, batch=1), jobs)
    assert [result[0] for _, result in results] == ["ok", "bound", "ok", "ok"]
    assert results[1][1] == ("bound", ("GOVARCHIVE_EXTRACT_SECONDS", "extraction: no answer within 3 s, 2 times"))


def test_the_extraction_workers_and_the_archive_writer_load_without_scrapy() -> None:
    """Each is forked from the forkserver, which preloads the extraction code; what that code
    and the writer's imports load is what every process of every crawl spends starting.
    Scrapy and Twisted, loaded through a type hint, were a fifth of a second of CPU each."""
    loads = (
        f"import sys, {EXTRACTION_MODULE}, crawler.writer_process, crawler.writes, archive.group_commit; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'scrapy', 'twisted', 'redis'}))"
    )
    result = subprocess.run([sys.executable, "-c", loads], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
