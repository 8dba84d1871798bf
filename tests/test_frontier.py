"""The shared frontier's steps against a real redis-server when the line to it is cut right
after Redis has carried out a command (tests/redis_relay.py): as when Redis is killed, or a
host's network fails, between two steps. No request may be lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import ConnectionError
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.coordination import RunKeys
from crawler.frontier import LeasedScheduler
from tests.redis_relay import hanging_up_once

KEYS = RunKeys("frontier-test", 1)
SETTINGS = {"GOVARCHIVE_REDIS_QUIET_SECONDS": 0.0, "GOVARCHIVE_REDIS_LEASE_SECONDS": 30.0}
PAGE = "http://127.0.0.1:9/news/one/"


@contextlib.contextmanager
def scheduler_on(redis_url: str) -> Iterator[LeasedScheduler]:
    """A worker's scheduler on the frontier, outside a crawl: its heartbeat is stopped after."""
    spider = Spider("frontier-test")
    spider.frontier_keys = KEYS  # type: ignore[attr-defined]
    redis = Redis.from_url(redis_url)
    redis.set(KEYS.meta, "{}")  # the run is open (coordination.publish_run)
    scheduler = LeasedScheduler(get_crawler(Spider, SETTINGS), redis)
    scheduler.open(spider)
    try:
        yield scheduler
    finally:
        if scheduler.heartbeat.running:
            scheduler.heartbeat.stop()


def test_a_request_is_never_seen_without_being_queued(frontier: str) -> None:
    """Two steps (mark it seen, then queue it) cut after the first would leave it seen and never
    fetched: the listing that named it, fetched again, finds it seen and drops it."""
    request = Request(PAGE)
    with scheduler_on(frontier) as scheduler:
        marker = scheduler.fingerprint(request).encode()
        scheduler.enqueue(Request("http://127.0.0.1:9/news/before/"))  # Redis knows the script now
    with (
        hanging_up_once(frontier, marker) as relay,
        scheduler_on(relay.url) as scheduler,
        pytest.raises(ConnectionError),
    ):
        scheduler.enqueue(request)
    redis = Redis.from_url(frontier)
    assert relay.hung_up.is_set()
    assert (redis.scard(KEYS.seen), redis.zcard(KEYS.queue)) == (2, 2)


def test_a_worker_counted_gone_while_it_stalled_is_back_in_the_run_at_its_next_beat(frontier: str) -> None:
    """Its `alive` key expired (a long parse, a paused host) and another worker's stop rule took
    it out of the run and gave its requests to the others: it stayed out, and the writer could
    end the run while it still crawled."""
    redis = Redis.from_url(frontier)
    with scheduler_on(frontier) as scheduler:
        redis.srem(KEYS.workers, scheduler.worker)
        scheduler.beat()
        assert redis.sismember(KEYS.workers, scheduler.worker)
