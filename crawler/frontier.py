"""A crawl frontier shared through Redis by workers on any host: queue, seen-set and leases.

scrapy-redis gives the layout of the queue (a sorted set by priority) and the seen-set's
request fingerprints. What it lacks, for a crawl where nothing may be lost, is added here:

- **One step per change.** A request is marked seen and queued by one script, and taken from
  the queue into a lease by another: Redis killed (or the line cut) between two commands
  would otherwise leave a request seen but never queued, lost for the run and the next.

- **Leases.** A request taken from the queue is moved, in one step, to the taking worker's
  lease set. It leaves that set only once Scrapy is done with it: its response processed
  and its results handed to the writer, or a follow-up (redirect, retry) queued. A worker
  that dies (SIGKILL, a lost host) stops renewing its `alive` key; once that expires, any
  worker or the writer puts its leases back in the queue. A request is then fetched twice
  at worst, never lost; the archive's writes are idempotent.
- **A stop rule.** A worker whose own engine is idle keeps waiting while the queue holds
  requests, any worker holds a lease, or the frontier changed in the last QUIET seconds;
  then every worker exits on its own. (scrapy-redis alone ends a worker as soon as the
  shared queue is momentarily empty.)
- **A bound.** No more requests are queued for a run than its page budget could answer, however
  many workers name them, as a one-host run (crawler/pending.py): a sitemap naming millions of
  pages would have filled Redis. The pages named past it are remembered by address only, and
  the writer records them as left for the next run, with those still queued.
- **Per-run keys**, named by `coordination.RunKeys`, which the run's writer creates and removes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from typing import Any

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from twisted.internet import task

from crawler import wire
from crawler.attachments import ATTACHMENT
from crawler.budget import PAGE_BUDGET
from crawler.coordination import (
    QuietWatch,
    RunKeys,
    register,
    report_worker_end,
    run_vanished,
    sweep_ended_run,
    text,
)
from crawler.kinds import FRONTIER_LOST, KNOWN
from crawler.outcomes import PAGE, source_url
from crawler.pending import PAST_BUDGET

log = logging.getLogger(__name__)
WORKER_COUNTERS = ("response_received_count",)  # Scrapy's own counters a run's figures use
KNOWN_COUNTER = f"govarchive/skipped/{KNOWN}"
LEASE = "govarchive_lease"  # request.meta key: the lease a follow-up request replaces
RUN_ENDED = "run_ended"  # a worker's finish reason when its run ended without it (it stalled)
# Move the best request from the queue to a worker's lease set, and count the change.
POP_AND_LEASE = """
local best = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #best == 0 then return false end
redis.call('ZREM', KEYS[1], best[1])
redis.call('ZADD', KEYS[2], best[2], best[1])
redis.call('INCR', KEYS[3])
return best[1]
"""
# Mark a request seen (unless ARGV[1], its fingerprint, is empty: not filtered) and queue it,
# unless the run has queued ARGV[4] requests (0: no bound), counted in KEYS[4]; then a page's
# address (ARGV[5], '' for other requests) joins those left past the budget (KEYS[5]).
SEE_AND_QUEUE = """
if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local budget = tonumber(ARGV[4])
if budget > 0 and tonumber(redis.call('GET', KEYS[4]) or '0') >= budget then
  if ARGV[5] ~= '' then redis.call('SADD', KEYS[5], ARGV[5]) end
  return 2
end
if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('INCR', KEYS[3])
if budget > 0 then redis.call('INCR', KEYS[4]) end
return 1
"""
QUEUED, PAST = 1, 2  # what SEE_AND_QUEUE did with a request not seen before


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def queue_unless_seen(
    script: Script,
    keys: RunKeys,
    request: Request,
    spider: Spider | None,
    fingerprint: str,
    budget: int = 0,
    full: bool = False,
) -> int:
    """Queues the request unless its fingerprint is in the seen-set (`fingerprint` empty: it is
    queued anyway) or the run has queued `budget` requests, in one step (SEE_AND_QUEUE): 0 seen
    before, QUEUED, or PAST the budget. A file an article holds is not bounded, as on one host.
    Once the run is `full` (its count only grows), a bounded request is not serialized at all."""
    bounded = 0 if ATTACHMENT in request.meta else budget
    member = b"" if full and bounded else wire.dumps(request.to_dict(spider=spider))
    page = source_url(request) if request.meta.get(PAGE) else ""
    queue_keys = [keys.seen, keys.queue, keys.activity, keys.key("queued"), keys.past_budget]
    return int(script(keys=queue_keys, args=[fingerprint, -request.priority, member, bounded, page]))


def requeue_dead_workers(redis: Redis, keys: RunKeys) -> int:
    """Leases of workers whose `alive` key expired go back to the queue; returns how many."""
    moved = 0
    for member in redis.smembers(keys.workers):
        worker = text(member)
        if redis.exists(keys.alive(worker)):
            continue
        moved += requeue_leases(redis, keys, worker)
        redis.srem(keys.workers, worker)
        log.warning("worker %s stopped answering: its requests are back in the queue", worker)
    return moved


def requeue_leases(redis: Redis, keys: RunKeys, worker: str) -> int:
    leases = keys.leases(worker)
    with redis.pipeline(transaction=True) as pipe:
        pipe.zcard(leases)
        pipe.zunionstore(keys.queue, [keys.queue, leases], aggregate="MIN")
        pipe.delete(leases)
        pipe.incr(keys.activity)
        count = pipe.execute()[0]
    return int(count)


def drained(redis: Redis, keys: RunKeys, watch: QuietWatch) -> bool:
    """The stop rule: nothing queued, nothing leased by any worker, no change for the quiet time."""
    requeue_dead_workers(redis, keys)
    if redis.zcard(keys.queue):
        return False
    workers = [text(m) for m in redis.smembers(keys.workers)]
    if any(redis.zcard(keys.leases(w)) for w in workers):
        return False
    return watch.quiet_now(redis, keys)


class LeasedScheduler:
    """Scrapy's scheduler on a shared frontier: scrapy-redis's queue and seen-set, with leases
    and the stop rule. The spider names its run's keys (`spider.frontier_keys`)."""

    def __init__(self, crawler: Crawler, redis: Redis) -> None:
        self.crawler = crawler
        self.redis = redis
        self.worker = worker_id()
        self.watch = QuietWatch(crawler.settings.getfloat("GOVARCHIVE_REDIS_QUIET_SECONDS"))
        self.lease_seconds = crawler.settings.getfloat("GOVARCHIVE_REDIS_LEASE_SECONDS")
        self.pop = redis.register_script(POP_AND_LEASE)
        self.see_and_queue = redis.register_script(SEE_AND_QUEUE)
        self.budget = crawler.settings.getint(PAGE_BUDGET)
        self.full = False  # the run has queued its budget: nothing bounded is queued any more
        self.held: dict[Request, str] = {}  # requests taken and not finished -> lease id
        self.members: dict[str, bytes] = {}  # lease id -> the queued form, to remove it
        self.flushed: dict[str, int] = {}  # this worker's counters as last added to the run's
        self.flushed_known: set[str] = set()  # known pages this worker skipped, as last added
        self.heartbeat = task.LoopingCall(self.beat)
        self.halted: str | None = None  # FRONTIER_LOST or RUN_ENDED: the run is no more ours to change

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        return cls(crawler, Redis.from_url(crawler.settings.get("GOVARCHIVE_REDIS_URL")))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.keys: RunKeys = spider.frontier_keys  # type: ignore[attr-defined]
        self.fingerprint = RFPDupeFilter(self.redis, self.keys.seen).request_fingerprint
        self.beat()
        self.heartbeat.start(1.0, now=False)
        self.crawler.signals.connect(self.on_idle, signal=signals.spider_idle)

    def close(self, reason: str) -> None:
        """Leases this worker still holds go back to the queue (another worker takes them), and
        its counters, why it stopped and the traps it found go to the run, before it leaves:
        the writer ends a run only once its last worker has left."""
        if self.heartbeat.running:
            self.heartbeat.stop()
        if self.halted is None:
            self.leave(reason)
        elif self.halted == RUN_ENDED:
            sweep_ended_run(self.redis, self.keys)  # what this worker wrote before it knew

    def leave(self, reason: str) -> None:
        self.release_finished()
        if self.redis.zcard(self.keys.leases(self.worker)):
            requeue_leases(self.redis, self.keys, self.worker)
        self.flush_counters()
        traps = getattr(self.spider, "traps", None)
        found = {p: (t.setting, t.reason) for p, t in traps.new.items()} if traps is not None else {}
        report_worker_end(self.redis, self.keys, self.worker, reason, found)
        self.redis.srem(self.keys.workers, self.worker)
        self.redis.delete(self.keys.alive(self.worker))

    def __len__(self) -> int:
        return int(self.redis.zcard(self.keys.queue))

    def enqueue_request(self, request: Request) -> bool:
        """Never raises (Scrapy's scraper would wait forever on the response that named it)."""
        try:
            return self.enqueue(request)
        except RedisError as error:
            self.lose(error)
            return False

    def enqueue(self, request: Request) -> bool:
        """A request past the run's budget is taken and let go, as on one host (crawler/pending.py)."""
        if self.halted:
            return False
        replaces = request.meta.pop(LEASE, None)
        fingerprint = "" if request.dont_filter else self.fingerprint(request)
        done = queue_unless_seen(
            self.see_and_queue, self.keys, request, self.spider, fingerprint, self.budget, self.full
        )
        self.full = self.full or done == PAST
        if done == PAST and self.crawler.stats is not None:
            self.crawler.stats.inc_value(PAST_BUDGET)
        if replaces:  # the follow-up is queued, or was already: the request it came from is done
            self.release(replaces)
        return done in (QUEUED, PAST)

    def next_request(self) -> Request | None:
        try:
            return None if self.halted else self.take()
        except RedisError as error:
            self.lose(error)
            return None

    def take(self) -> Request | None:
        self.release_finished()
        member = self.pop(keys=[self.keys.queue, self.keys.leases(self.worker), self.keys.activity])
        if member is None:
            return None
        request = request_from_dict(wire.loads(member), spider=self.spider)
        lease = hashlib.sha1(member).hexdigest()
        request.meta[LEASE] = lease
        self.held[request] = lease
        self.members[lease] = member
        return request

    def release(self, lease: str) -> None:
        member = None if self.halted else self.members.pop(lease, None)
        if member is not None:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(self.keys.leases(self.worker), member)
                pipe.incr(self.keys.activity)
                pipe.execute()

    def release_finished(self) -> None:
        """Requests Scrapy is done with: response processed, results handed on."""
        active = in_progress(self.crawler)
        for request in [r for r in self.held if r not in active]:
            self.release(self.held.pop(request))

    def beat(self) -> None:
        """Every second: this worker is in the run and alive; finished requests are released; its
        counters are added to the run's; the frontier's changes are watched. Redis lost: the
        crawl stops (FRONTIER_LOST), the run stays open. The run ended, or ending, without this
        worker (counted gone while it stalled, its requests given to the others): it stops."""
        try:
            if not register(self.redis, self.keys, self.worker, self.lease_seconds):
                if run_vanished(self.redis, self.keys):
                    self.halt(FRONTIER_LOST, "the run's keys are gone from Redis (restarted without its data?)")
                else:
                    self.halt(RUN_ENDED, "the run ended without this worker, which did not answer for a while")
                return
            self.release_finished()
            self.flush_counters()
            self.watch.observe(self.redis, self.keys)
        except RedisError as error:
            self.lose(error)

    def lose(self, error: RedisError) -> None:
        """Redis failed: from now on no lease is released (what this worker held goes back to the
        queue when its heartbeat expires, if Redis keeps it), and the crawl stops."""
        self.halt(FRONTIER_LOST, f"lost the frontier (Redis): {error}; the run stays open")

    def halt(self, why: str, message: str) -> None:
        """Nothing more of the run is changed by this worker, and its crawl stops."""
        if self.halted:
            return
        self.halted = why
        log.log(logging.ERROR if why == FRONTIER_LOST else logging.WARNING, "%s: this worker stops", message)
        if self.heartbeat.running:
            self.heartbeat.stop()
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=why))

    def flush_counters(self) -> None:
        """What this worker counted since the last flush (pages, downloads, 304s, skips, HTTP
        errors) is added to the run's counters, which the writer reads at the run's end."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counters = {
            k: int(v)
            for k, v in stats.items()
            if (k in WORKER_COUNTERS or k.startswith("govarchive/")) and k != KNOWN_COUNTER
        }
        self.flush_known()
        changed = {k: v - self.flushed.get(k, 0) for k, v in counters.items() if v != self.flushed.get(k, 0)}
        if changed:
            with self.redis.pipeline(transaction=False) as pipe:
                for name, delta in changed.items():
                    pipe.hincrby(self.keys.key("stats"), name, delta)
                pipe.execute()
            self.flushed.update(counters)

    def flush_known(self) -> None:
        """Known pages skipped are counted once per run, not once per worker that met them: as
        a set of pages, which the writer counts (`KNOWN_COUNTER`)."""
        skipped = set(getattr(self.spider, "known_skipped", ()))
        added, dropped = skipped - self.flushed_known, self.flushed_known - skipped
        if added:
            self.redis.sadd(self.keys.key("known-skipped"), *added)
        if dropped:
            self.redis.srem(self.keys.key("known-skipped"), *dropped)
        self.flushed_known = skipped

    def has_pending_requests(self) -> bool:
        try:
            return bool(self.redis.zcard(self.keys.queue))
        except RedisError:
            return False

    def on_idle(self, spider: Spider) -> None:
        if self.halted:
            return  # closing already, with the reason
        try:
            self.release_finished()
            done = drained(self.redis, self.keys, self.watch)
        except RedisError as error:
            self.lose(error)
            return
        if not done:
            raise DontCloseSpider


def in_progress(crawler: Crawler) -> set[Any]:
    """The requests Scrapy's engine has taken from the scheduler and not finished with.

    A request stays in this set until its response has gone through the spider and every
    item it gave has left the item pipelines (or its follow-up request was queued): the one
    moment a lease may end. Scrapy offers no signal for it, so this reads the engine's slot.
    """
    if not crawler.crawling:
        return set()  # no engine yet
    slot = getattr(crawler.engine, "_slot", None)
    return set(slot.inprogress) if slot is not None else set()
