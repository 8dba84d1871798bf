"""The extraction pool: started whole, before the first page arrives; a page past a bound of
crawler/page_bounds.py is stopped, and its worker goes on."""

import multiprocessing
from unittest.mock import ANY

import pytest

from crawler.extract import ExtractionRules
from crawler.workers import extract_page, start_pool
from tests.conftest import read_fixture
from tests.hostile_site import link_bomb

URL = "http://127.0.0.1/news/"
WORKER_MEMORY = 300 * 2**20  # address space: ~260 MB after a first page; the link bomb wants 200 MB more


def test_every_worker_is_started_with_the_pool_not_one_per_task() -> None:
    pool = start_pool(2)
    try:
        assert len(multiprocessing.active_children()) == 2
    finally:
        pool.shutdown()


@pytest.mark.parametrize(
    ("setting", "memory", "seconds"),
    [("GOVARCHIVE_EXTRACT_SECONDS", 0, 0.2), ("GOVARCHIVE_EXTRACT_MEMORY", WORKER_MEMORY, 60)],
)
def test_a_page_past_a_bound_is_stopped_and_its_worker_goes_on(setting: str, memory: int, seconds: float) -> None:
    seed = read_fixture("cdd-mirror", "article-seed.html").encode()
    pool = start_pool(1, memory=memory)
    try:
        bounded = pool.submit(extract_page, link_bomb(60_000), "utf-8", URL, ExtractionRules(), False, seconds)
        assert bounded.result(timeout=120) == ("bound", (setting, ANY))
        assert pool.submit(extract_page, seed, "utf-8", URL, ExtractionRules(), False, seconds).result()[0] == "ok"
    finally:
        pool.shutdown()
