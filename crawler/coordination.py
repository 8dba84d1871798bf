"""How a distributed run begins and ends in Redis, between workers and the archive's writer.

A worker asked to crawl a site joins the site's open run, or asks the writer for one
(`ask_for_run`). Only the writer opens runs, because only it holds the archive: it takes the
site's lock, adds the `crawl_runs` row, and publishes what workers need to crawl
incrementally, as a one-host crawl would: the archive's known pages with their validators,
the site's known traps, whether to refresh (`publish_run`). When the run's frontier is
drained and its workers gone, the writer records the run and leaves its outcome under the
run's `status` key for a day; every other key of the run is deleted. Ending and joining are
each one step in Redis (`close_to_workers`, `join_run`): a worker that read the run's number as
the writer found it drained is not let in, and asks again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from redis import Redis

from archive.history import KnownPage
from crawler.traps import Trap

STATUS_TTL_SECONDS = 86_400
REFUSAL_TTL_SECONDS = 60
POLL_SECONDS = 0.1
PUBLISH_CHUNK = 1000
# Register worker ARGV[1] in a run for ARGV[2] ms, unless the run has ended (its meta is gone)
# or its end has begun.
JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], 1, 'PX', ARGV[2])
return 1
"""
# Hold a namespace for writer ARGV[1] for ARGV[2] ms, unless another holds it: then its name.
CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
WRITER_CLAIM_SECONDS = 30  # a writer's hold on its namespace, renewed a few times within it
# Begin a run's end, unless a worker is in it.
CLOSE = """
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('SET', KEYS[2], 1)
return 1
"""


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one run (one site, one `crawl_runs` row) under a namespace."""

    namespace: str
    run: int

    def key(self, name: str) -> str:
        return f"{self.namespace}:run:{self.run}:{name}"

    @property
    def queue(self) -> str:
        return self.key("queue")

    @property
    def seen(self) -> str:
        return self.key("seen")

    @property
    def workers(self) -> str:
        return self.key("workers")

    @property
    def meta(self) -> str:
        """What workers need to crawl, published last but the site's key: while it exists the
        run is open (it goes with the run's other keys at its end)."""
        return self.key("meta")

    @property
    def status(self) -> str:
        """The run's outcome, kept a day after its end."""
        return self.key("status")

    @property
    def closing(self) -> str:
        """Set once the writer begins to end the run: no worker joins it any more."""
        return self.key("closing")

    @property
    def activity(self) -> str:
        """A counter of the frontier's changes: a request queued, taken, finished or re-queued."""
        return self.key("activity")

    @property
    def past_budget(self) -> str:
        """The addresses of pages named once the run had queued its budget (crawler/frontier.py)."""
        return self.key("past-budget")

    def leases(self, worker: str) -> str:
        return self.key(f"leases:{worker}")

    def alive(self, worker: str) -> str:
        return self.key(f"alive:{worker}")

    def all_keys(self, redis: Redis) -> list[str]:
        return [text(k) for k in redis.scan_iter(match=self.key("*"), count=1000)]

    def leftovers(self, redis: Redis) -> list[str]:
        """Every key of the run but its outcome: what its end deletes."""
        return [k for k in self.all_keys(redis) if k != self.status]


def redacted(url: str) -> str:
    """A Redis URL fit to print: its password replaced (messages end up in logs and mails)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}***@{parts.netloc.rsplit('@', 1)[1]}"))


def text(value: bytes | str) -> str:
    """A Redis answer as text (the client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else value


class NoWriterError(RuntimeError):
    """No writer opened the run in time."""


class RunRefusedError(RuntimeError):
    """The writer would not open the run: the site is being crawled into the archive already."""


@dataclass
class RunRequest:
    """What a worker asks the writer for: a run of `site`, with its spider's arguments."""

    site: str
    spider_kwargs: dict[str, Any] = field(default_factory=dict)
    refresh: bool = False


class NamespaceTakenError(RuntimeError):
    """Another archive's writer serves the namespace: two would share out the results."""


def writer_key(namespace: str) -> str:
    return f"{namespace}:writer"


def hold_namespace(redis: Redis, namespace: str, writer: str) -> None:
    """This writer, named by host and archive, holds the namespace for WRITER_CLAIM_SECONDS
    more. Two writers of different archives on one namespace would each read the one stream of
    results and trim what the other had not read, and open the runs asked of them first: a
    run's row, articles and captures shared out between two archives. The same archive's
    writer restarted on its host takes over at once."""
    holder = redis.eval(CLAIM, 1, writer_key(namespace), writer, WRITER_CLAIM_SECONDS * 1000)
    if holder is not None:
        raise NamespaceTakenError(
            f"the frontier's namespace {namespace!r} is served by another writer ({text(holder)}; held while it "
            f"runs, and {WRITER_CLAIM_SECONDS} s after it stops answering): one writer per namespace; give this "
            "archive's writer and workers their own GOVARCHIVE_REDIS_NAMESPACE"
        )


def let_go_of_namespace(redis: Redis, namespace: str, writer: str) -> None:
    redis.eval(RELEASE, 1, writer_key(namespace), writer)


def requests_key(namespace: str) -> str:
    return f"{namespace}:run-requests"


def site_key(namespace: str, site: str) -> str:
    """The open run of a site, if any."""
    return f"{namespace}:site:{site}"


def refused_key(namespace: str, site: str) -> str:
    return f"{namespace}:refused:{site}"


class QuietWatch:
    """Whether a run's frontier has not changed for `quiet` seconds, by this process's own clock:
    hosts' clocks may disagree, so the frontier keeps a change counter, not a time."""

    def __init__(self, quiet: float) -> None:
        self.quiet = quiet
        self.seen: bytes | None = None
        self.since = time.monotonic()

    def observe(self, redis: Redis, keys: RunKeys) -> None:
        """Read the change counter; a worker does so every heartbeat, so that a change is seen
        within a second of it and not only at Scrapy's next idle check, five seconds on."""
        changes = cast(bytes | None, redis.get(keys.activity))
        if changes != self.seen:
            self.seen, self.since = changes, time.monotonic()

    def quiet_now(self, redis: Redis, keys: RunKeys) -> bool:
        self.observe(redis, keys)
        return time.monotonic() - self.since >= self.quiet


def ask_for_run(redis: Redis, namespace: str, request: RunRequest, wait: float) -> int:
    """The open run of the site, opened by the writer on request if there is none."""
    run = redis.get(site_key(namespace, request.site))
    if run is None:
        redis.delete(refused_key(namespace, request.site))  # an earlier refusal: not an answer to this
        redis.rpush(requests_key(namespace), json.dumps(asdict(request)))
    deadline = time.monotonic() + wait
    while run is None:
        refusal = redis.get(refused_key(namespace, request.site))
        if refusal is not None:
            raise RunRefusedError(text(refusal))
        if time.monotonic() > deadline:
            raise NoWriterError(
                f"no archive writer opened a run of {request.site} within {wait:g} s: "
                "start `govarchive ingest --redis URL --db ARCHIVE` (one per archive), then the workers"
            )
        time.sleep(POLL_SECONDS)
        run = redis.get(site_key(namespace, request.site))
    return int(run)


def next_run_request(redis: Redis, namespace: str) -> RunRequest | None:
    data = redis.lpop(requests_key(namespace))
    return RunRequest(**json.loads(cast(bytes, data))) if data else None


def publish_run(
    redis: Redis,
    keys: RunKeys,
    request: RunRequest,
    known: dict[str, KnownPage],
    traps: dict[str, tuple[str, str]],
    revisit_days: float,
) -> None:
    """Everything a worker needs before it crawls; the site's key last, so a worker that sees
    the run sees all of it."""
    meta = {"site": request.site, "spider_kwargs": request.spider_kwargs, "refresh": request.refresh}
    with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.meta, json.dumps(meta | {"revisit_days": revisit_days}))
        items = [(url, json.dumps(page.to_dict())) for url, page in known.items()]
        for start in range(0, len(items), PUBLISH_CHUNK):
            pipe.hset(keys.key("known"), mapping=dict(items[start : start + PUBLISH_CHUNK]))
        if traps:
            pipe.hset(keys.key("traps"), mapping={p: json.dumps(found) for p, found in traps.items()})
        pipe.incr(keys.activity)
        pipe.set(site_key(keys.namespace, request.site), keys.run)
        pipe.execute()


@dataclass
class JoinedRun:
    """A run as a worker sees it when it joins."""

    keys: RunKeys
    site: str
    spider_kwargs: dict[str, Any]
    refresh: bool
    revisit_days: float
    known: dict[str, KnownPage]
    traps: dict[str, Trap]


def join_a_run(
    redis: Redis, namespace: str, request: RunRequest, worker: str, wait: float, alive_seconds: float
) -> JoinedRun:
    """The site's open run, joined (opened by the writer on request if there is none). A run
    whose end has begun is not joined: the worker waits for it to end and asks again."""
    deadline = time.monotonic() + wait
    while True:
        run = ask_for_run(redis, namespace, request, deadline - time.monotonic())
        joined = join_run(redis, RunKeys(namespace, run), worker, alive_seconds)
        if joined is not None:
            return joined
        if time.monotonic() > deadline:
            raise NoWriterError(f"run {run} of {request.site} is ending, and no writer ended it within {wait:g} s")
        time.sleep(POLL_SECONDS)


def join_run(redis: Redis, keys: RunKeys, worker: str, alive_seconds: float) -> JoinedRun | None:
    """Registers the worker at once, so the writer never ends a run a worker is starting; None
    when the run has ended, or its end has begun."""
    if not register(redis, keys, worker, alive_seconds):
        return None
    meta = json.loads(redis.get(keys.meta) or "{}")
    known = {text(url): KnownPage.from_dict(json.loads(page)) for url, page in redis.hgetall(keys.key("known")).items()}
    traps = {text(p): Trap(*json.loads(found)) for p, found in redis.hgetall(keys.key("traps")).items()}
    return JoinedRun(keys, meta["site"], meta["spider_kwargs"], meta["refresh"], meta["revisit_days"], known, traps)


def report_worker_end(
    redis: Redis, keys: RunKeys, worker: str, reason: str, traps_found: dict[str, tuple[str, str]]
) -> None:
    """Why this worker stopped (finished, a budget, SIGTERM) and the traps it found."""
    with redis.pipeline(transaction=False) as pipe:
        pipe.hset(keys.key("reasons"), worker, reason)
        if traps_found:
            pipe.hset(keys.key("traps-found"), mapping={p: json.dumps(t) for p, t in traps_found.items()})
        pipe.execute()


def register(redis: Redis, keys: RunKeys, worker: str, alive_seconds: float) -> bool:
    """The worker is in the run for `alive_seconds` more (its heartbeat calls this again), unless
    the run has ended or its end has begun: a worker counted dead while it was stalled (its
    requests given to the others) comes back in, where it stayed out and the run could end
    under it."""
    member = [keys.meta, keys.closing, keys.workers, keys.alive(worker)]
    return bool(redis.eval(JOIN, len(member), *member, worker, int(alive_seconds * 1000)))


def run_vanished(redis: Redis, keys: RunKeys) -> bool:
    """Neither open, ending, nor ended with its outcome kept: Redis lost the run's keys
    (restarted without its data, or flushed)."""
    return not redis.exists(keys.meta, keys.closing, keys.status)


def close_to_workers(redis: Redis, keys: RunKeys) -> bool:
    """Whether the run's end may begin: no worker is in it, and from now on none joins it."""
    return bool(redis.eval(CLOSE, 2, keys.workers, keys.closing))


def end_run(redis: Redis, keys: RunKeys, site: str, outcome: dict[str, Any]) -> None:
    """The run's outcome stays for a day; its other keys go."""
    doomed = keys.leftovers(redis)
    with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.status, json.dumps(outcome), ex=STATUS_TTL_SECONDS)
        if doomed:
            pipe.delete(*doomed)
        pipe.delete(site_key(keys.namespace, site))
        pipe.execute()


def sweep_ended_run(redis: Redis, keys: RunKeys) -> None:
    """Keys a worker wrote under a run that had ended without it (it stalled; the writer had
    deleted the run's keys): gone, but for the outcome. A run still ending is left to its writer."""
    if not redis.exists(keys.meta):
        doomed = keys.leftovers(redis)
        if doomed:
            redis.delete(*doomed)
