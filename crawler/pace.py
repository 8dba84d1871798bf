"""Politeness shared by every worker of a distributed crawl: one site, one pace, however many hosts.

Scrapy's download delay and per-site concurrency are per process: three workers would send
an agency three times the requests one crawl sends. A worker instead asks Redis before each
request to a host, in one script on the server's clock (hosts' clocks may differ): it gets a
slot among the host's CONCURRENT_REQUESTS_PER_DOMAIN requests in flight across all workers
only when DOWNLOAD_DELAY has passed since the host's previous request from any worker, and
then sends at once; else it is told how long to wait, and asks again. (Booking a send time
ahead let a worker whose reactor woke late send close before the next worker's booked time:
gaps of a third of the delay, seen on a loaded host.) Scrapy's own per-process delay and
AutoThrottle are off in a worker (crawler/distributed.py), this pace replaces them. A slot a
dead worker held expires after DOWNLOAD_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.robots import CRAWL_DELAY

SLOT = "govarchive_pace_slot"  # request.meta: the in-flight slot this request holds
RETRY_SECONDS = 0.05  # how often a request waiting for a slot asks again
# KEYS: the host's slots in flight (a sorted set by expiry), its next free send time.
# ARGV: slot id, concurrency, delay, slot lifetime. Returns 0 (the slot is taken: send now),
# the seconds to wait before asking again, or -1 (no slot free).
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return '-1' end
local free_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if free_at > now then return tostring(free_at - now) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])))
local delay = tonumber(ARGV[3])
redis.call('SET', KEYS[2], tostring(now + delay), 'PX', math.ceil(delay * 1000) + 1000)
return '0'
"""


class SharedPace:
    """Downloader middleware of a distributed worker (GOVARCHIVE_SHARED_DELAY > 0)."""

    def __init__(self, crawler: Crawler, redis: Redis) -> None:
        settings = crawler.settings
        self.redis = redis
        self.namespace = settings.get("GOVARCHIVE_REDIS_NAMESPACE")
        self.delay = settings.getfloat("GOVARCHIVE_SHARED_DELAY")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.lifetime = settings.getfloat("DOWNLOAD_TIMEOUT") + 10
        self.reserve = redis.register_script(RESERVE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPace:
        return cls(crawler, Redis.from_url(crawler.settings.get("GOVARCHIVE_REDIS_URL")))

    def keys(self, url: str) -> list[str]:
        host = urlsplit(url).hostname or ""
        return [f"{self.namespace}:pace:{host}:in-flight", f"{self.namespace}:pace:{host}:next"]

    async def process_request(self, request: Request) -> None:
        delay = max(self.delay, request.meta.get(CRAWL_DELAY, 0.0))  # robots.txt's Crawl-delay holds across workers too
        if delay <= 0 or SLOT in request.meta:
            return
        slot = uuid.uuid4().hex
        args: list[str | float] = [slot, self.concurrency, delay, self.lifetime]
        while (wait := float(self.reserve(keys=self.keys(request.url), args=args))) != 0:
            await asyncio.sleep(RETRY_SECONDS if wait < 0 else wait)
        request.meta[SLOT] = slot

    def process_response(self, request: Request, response: Response) -> Response:
        self.free(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Any:
        self.free(request)
        return None

    def free(self, request: Request) -> None:
        slot = request.meta.pop(SLOT, None)
        if slot is not None:
            self.redis.zrem(self.keys(request.url)[0], slot)
