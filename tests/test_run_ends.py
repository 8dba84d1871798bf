"""A shared run's end against a worker joining it at that moment, step by step against a real
redis-server: the writer ends a run once its frontier is drained and no worker is in it, and a
worker may have read the run's number just before.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from redis import Redis

from crawler.coordination import RunKeys, RunRequest, close_to_workers, join_a_run, join_run, requests_key, site_key
from crawler.ingest import Ingest

NAMESPACE = "ends-test"
SITE = "127.0.0.1:9"


def opened_run(redis: Redis, tmp_path: Path) -> tuple[Ingest, RunKeys]:
    """A writer with one run of SITE open (quiet 0: drained as soon as no worker is in it)."""
    ingest = Ingest(redis, NAMESPACE, str(tmp_path / "archive.db"), quiet=0.0, revisit_days=30)
    ingest._open_run(RunRequest(SITE))
    return ingest, RunKeys(NAMESPACE, int(redis.get(site_key(NAMESPACE, SITE)) or 0))


def test_a_worker_that_read_the_number_of_a_run_just_ended_is_not_let_in(frontier: str, tmp_path: Path) -> None:
    """It read the run's keys after the writer had deleted them (a KeyError, in a traceback) and
    left its name under the ended run for good."""
    redis = Redis.from_url(frontier)
    ingest, keys = opened_run(redis, tmp_path)
    ingest._finish_drained_runs()
    ingest.close()
    assert join_run(redis, keys, SITE, "late-worker", alive_seconds=3) is None
    assert [key for key in redis.scan_iter(match=keys.key("*")) if key != keys.key("status").encode()] == []


def test_a_worker_asking_while_the_sites_run_ends_waits_and_joins_the_next_one(frontier: str, tmp_path: Path) -> None:
    redis = Redis.from_url(frontier)
    ingest, keys = opened_run(redis, tmp_path)
    assert close_to_workers(redis, keys)  # the writer found it drained and records its end
    with ThreadPoolExecutor(1) as pool:
        asking = pool.submit(join_a_run, redis, NAMESPACE, RunRequest(SITE), "worker", 30, 3)
        time.sleep(0.5)
        assert not asking.done()  # the ending run lets nobody in
        ingest._finish_drained_runs()
        while not redis.exists(requests_key(NAMESPACE)):  # the worker asks for a new run
            time.sleep(0.05)
        ingest._open_requested_runs()
        assert asking.result(timeout=10).keys.run == keys.run + 1
    ingest.close()
