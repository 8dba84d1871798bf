"""A shared run's end against a worker joining it, or waking in it, at that moment, against a
real redis-server: the writer ends a run once its frontier is drained and no worker is in it;
a worker may have read the run's number just before, or have stalled and been counted gone.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from redis import Redis

from crawler.coordination import (
    RunKeys,
    RunRequest,
    close_to_workers,
    join_a_run,
    join_run,
    requests_key,
    site_key,
)
from crawler.ingest import Ingest
from crawler.kinds import FRONTIER_LOST
from crawler.run import OUR_FAULTS
from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import rows
from tests.shared_crawl import NAMESPACE as SHARED_NAMESPACE
from tests.shared_crawl import Crawl, finish

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
    assert join_run(redis, keys, "late-worker", alive_seconds=3) is None
    assert keys.leftovers(redis) == []


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


def test_a_worker_stalled_while_the_others_ended_the_run_stops_and_leaves_no_key(frontier: str, tmp_path: Path) -> None:
    """Counted gone while stopped (its requests given to the other worker), it woke after the run
    had ended and crawled on into the run's deleted keys, writing them again for good."""
    site = MirrorSite("cdd-mirror")
    redis = Redis.from_url(frontier)
    with serving(site) as base_url:
        run = Crawl(frontier, base_url, tmp_path)
        stalled, other = run.worker(), run.worker()
        writer = run.writer()
        run.wait_for_articles(5)
        stalled.send_signal(signal.SIGSTOP)
        ended = RunKeys(SHARED_NAMESPACE, 1).status
        deadline = time.monotonic() + 120
        while not redis.exists(ended):
            assert time.monotonic() < deadline, "the other worker and the writer did not end the run"
            time.sleep(0.2)
        stalled.send_signal(signal.SIGCONT)
        done = [finish(process) for process in (stalled, other, writer)]
    assert [d.returncode for d in done] == [0, 0, 0], done
    assert "the run ended without this worker" in done[0].output
    assert RunKeys(SHARED_NAMESPACE, 1).all_keys(redis) == [ended]
    assert run.articles() == len(site.articles)


def test_a_worker_whose_run_vanished_from_redis_says_the_frontier_lost_it(frontier: str, tmp_path: Path) -> None:
    """Redis restarted without its data (or flushed) is no run that ended: the worker fails, as
    when Redis cannot be reached, rather than stopping as if the others had finished; the writer
    records the run failed for that, not for 'no page could be fetched' (its counters gone)."""
    site = MirrorSite("cdd-mirror")
    site.delay = 0.2  # still crawling when the keys go
    with serving(site) as base_url:
        run = Crawl(frontier, base_url, tmp_path)
        worker = run.worker()
        writer = run.writer()
        run.wait_for_articles(3)
        Redis.from_url(frontier).flushall()
        done = [finish(worker), finish(writer)]
    assert [d.returncode for d in done] == [1, 1], done
    assert "the run's keys are gone from Redis" in done[0].output
    ((status, reason),) = rows(run.db, "select status, stop_reason from crawl_runs")
    assert (status, reason) == ("failed", OUR_FAULTS[FRONTIER_LOST])
