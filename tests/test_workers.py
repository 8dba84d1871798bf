"""The extraction pool: started whole, before the first page arrives."""

import multiprocessing

from crawler.workers import start_pool


def test_every_worker_is_started_with_the_pool_not_one_per_task() -> None:
    pool = start_pool(2)
    try:
        assert len(multiprocessing.active_children()) == 2
    finally:
        pool.shutdown()
