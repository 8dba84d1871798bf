"""The one writer of an archive that crawl workers on many hosts feed through Redis.

`govarchive ingest --redis URL --db ARCHIVE` opens runs when workers ask (crawler/coordination.py),
writes their results (crawler/handoff.py) into SQLite and the runs' WARC files, and records
each run once its frontier is drained and its workers are gone.

Exactly once: results are read from the stream after the last entry written, and each batch is
committed together with the stream position it reached (the `ingest_position` table) and the
run's counters (`ingest_counts`). Only then are the entries trimmed from the stream. A writer
killed anywhere in a batch restarts at the committed position: nothing lost, nothing written
twice (a WARC record appended by the lost batch stays unreferenced in its file, as after a
killed one-host crawl).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError

from archive.db import open_archive
from archive.history import known_pages, known_traps
from archive.store import ArchiveWriter
from archive.warc import WarcFile, point_at
from crawler import wire
from crawler.budget import BUDGET_STOPS
from crawler.coordination import (
    REFUSAL_TTL_SECONDS,
    WRITER_CLAIM_SECONDS,
    NamespaceTakenError,
    QuietWatch,
    RunKeys,
    RunRequest,
    close_to_workers,
    end_run,
    hold_namespace,
    let_go_of_namespace,
    next_run_request,
    publish_run,
    refused_key,
    site_key,
    text,
)
from crawler.frontier import KNOWN_COUNTER, drained
from crawler.handoff import backlog_key, results_key
from crawler.items import Article, Attachment, NotArchived
from crawler.kinds import FINISHED, FRONTIER_LOST
from crawler.locks import AlreadyRunningError, SiteLock
from crawler.outcomes import PAGE
from crawler.run import SHUTDOWN, SITE_ENDS, SiteResult, close_run
from crawler.writes import write_item

log = logging.getLogger("govarchive.ingest")
Entries = list[tuple[bytes, dict[bytes, bytes]]]  # stream entries: id, fields
BATCH = 256  # results per transaction at most
BLOCK_MS = 500  # how long one read waits for new results
LOST = "govarchive/lost"
Captured = Article | NotArchived | Attachment  # results that carry a WARC record for the writer to append


class WriterRunningError(RuntimeError):
    pass


class FrontierLostError(RuntimeError):
    """Redis went away: what is committed stays, open runs stay open for the next start."""


@dataclass
class OpenRun:
    keys: RunKeys
    site: str
    lock: SiteLock
    watch: QuietWatch


@dataclass
class Ingest:
    redis: Redis
    namespace: str
    db_path: str
    quiet: float
    revisit_days: float
    progress_interval: float = 0.0  # seconds between lines saying what was written (0: none)
    writer: ArchiveWriter = field(init=False)
    runs: dict[int, OpenRun] = field(default_factory=dict)
    warcs: dict[str, WarcFile] = field(default_factory=dict)
    finished: list[SiteResult] = field(default_factory=list)
    stopping: bool = False
    written: Counter[str] = field(default_factory=Counter)  # results and their counters, since the last line
    said_at: float = field(default_factory=time.monotonic)
    held_at: float = 0.0  # when the hold on the namespace was last renewed

    def __post_init__(self) -> None:
        self.lock = SiteLock(self.db_path, "ingest", what="a writer of this archive (govarchive ingest)")
        try:
            self.lock.acquire()
        except AlreadyRunningError as error:
            raise WriterRunningError(str(error)) from None
        self.name = f"{socket.gethostname()}:{os.path.abspath(self.db_path)}"
        try:
            self._hold_namespace()
        except NamespaceTakenError:
            self.lock.release()
            raise
        self.writer = ArchiveWriter(open_archive(self.db_path))
        self.stream = results_key(self.namespace)
        self.position = self._committed_position()
        self._recount_backlog()
        self._adopt_open_runs()

    # -- the loop ---------------------------------------------------------------------
    def serve(self, idle_exit: float | None = None) -> list[SiteResult]:
        """Until SIGTERM/SIGINT, or (idle_exit) no run open and no result for that long."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        idle_since = time.monotonic()
        try:
            while not self.stopping:
                self._hold_namespace()
                self._open_requested_runs()
                self._say_progress()
                if self.ingest_batch():
                    idle_since = time.monotonic()
                    continue
                self._finish_drained_runs()
                if self.runs:
                    idle_since = time.monotonic()
                elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                    break
        except RedisError as error:
            raise FrontierLostError(
                f"lost the frontier (Redis): {error}; what was written is committed, the open runs "
                "stay open: start the writer again once Redis is back"
            ) from None
        finally:
            self.close()
        return self.finished

    def _hold_namespace(self) -> None:
        """Renewed once a third of its time has passed, not on every turn of the loop: a turn
        is a batch, many a second while a crawl runs."""
        if time.monotonic() - self.held_at >= WRITER_CLAIM_SECONDS / 3:
            hold_namespace(self.redis, self.namespace, self.name)
            self.held_at = time.monotonic()

    def _say_progress(self) -> None:
        """A line every progress_interval seconds while results come or runs are open: a
        writer serving for hours said nothing between a run's opening and its end."""
        if not self.progress_interval or time.monotonic() - self.said_at < self.progress_interval:
            return
        self.said_at = time.monotonic()
        if not (self.written or self.runs):
            return
        written = self.written
        waiting = int(self.redis.get(backlog_key(self.namespace)) or 0)
        runs = ", ".join(f"{run.site} (run {run_id})" for run_id, run in self.runs.items()) or "none"
        log.info(
            "written %d results (%d new, %d updated articles, %d failures); %.1f MB waiting; runs open: %s",
            written["results"],
            written["govarchive/articles_new"],
            written["govarchive/articles_updated"],
            written["govarchive/failures"],
            waiting / 1e6,
            runs,
        )
        self.written.clear()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("asked to stop: open runs stay open for the next writer")
        self.stopping = True

    def close(self) -> None:
        for warc in self.warcs.values():
            warc.close()
        for run in self.runs.values():
            run.lock.release()
        self.writer.db.close()
        with contextlib.suppress(RedisError):  # Redis gone: the hold expires by itself
            let_go_of_namespace(self.redis, self.namespace, self.name)
        self.lock.release()

    # -- results ----------------------------------------------------------------------
    def ingest_batch(self) -> int:
        """Write the results after the committed position, as one transaction; returns how many."""
        answer = cast(list[tuple[bytes, Entries]], self.redis.xread({self.stream: self.position}, BATCH, BLOCK_MS))
        entries = answer[0][1] if answer else []
        if not entries:
            return 0
        counts: Counter[tuple[int, str]] = Counter()
        size = 0
        with self.writer.db.atomic():
            for _, fields in entries:
                size += wire.entry_bytes(fields)
                for run, counter in self._write_entry(fields):
                    counts[(run, counter)] += 1
            last = text(entries[-1][0])
            self._commit_counts(counts)
            self.written["results"] += len(entries)
            for (_, counter), count in counts.items():  # every run's
                self.written[counter] += count
            self.writer.db.table("ingest_position").upsert({"stream": self.stream, "last_id": last}, pk="stream")
        self.position = last
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.xtrim(self.stream, minid=_after(last))
            pipe.decrby(backlog_key(self.namespace), size)
            pipe.execute()
        return len(entries)

    def _write_entry(self, fields: dict[bytes, bytes]) -> list[tuple[int, str]]:
        """One result in its own savepoint: a bad one is logged and counted, the batch goes on."""
        try:
            result = wire.decode_result(fields)
        except wire.WireError as error:
            log.error("skipped a result that is not one of ours: %s", error)
            return []
        run = result.crawl_run or 0
        try:
            with self.writer.db.atomic():
                if isinstance(result, Captured) and result.capture is not None:
                    self._append_capture(result)
                return [(run, counter) for counter in write_item(self.writer, result)]
        except Exception as error:  # the page is lost to this run: counted, so the run fails
            log.error("could not archive %s: %s", getattr(result, "url", "?"), error)
            return [(run, LOST)]

    def _append_capture(self, result: Captured) -> None:
        assert result.capture is not None
        warc = self.warcs.get(result.site) or self.warcs.setdefault(result.site, WarcFile(self.db_path, result.site))
        pointer = warc.append(result.capture)
        if isinstance(result, Article | Attachment) and result.warc_file is None:  # else a revisit's original
            point_at(result, pointer)

    def _commit_counts(self, counts: Counter[tuple[int, str]]) -> None:
        for (run, counter), count in counts.items():
            self.writer.db.execute(
                "insert into ingest_counts (run, counter, count) values (?, ?, ?) "
                "on conflict (run, counter) do update set count = count + excluded.count",
                [run, counter, count],
            )

    def _committed_position(self) -> str:
        row = self.writer.db.execute("select last_id from ingest_position where stream = ?", [self.stream]).fetchone()
        return str(row[0]) if row else "0-0"

    def _recount_backlog(self) -> None:
        """The bytes not yet written, counted afresh: a writer killed mid-batch left the
        counter off by that batch."""
        entries = cast(Entries, self.redis.xrange(self.stream, min=_after(self.position)))
        size = sum(wire.entry_bytes(fields) for _, fields in entries)
        self.redis.set(backlog_key(self.namespace), size)

    # -- runs -------------------------------------------------------------------------
    def _open_requested_runs(self) -> None:
        while (request := next_run_request(self.redis, self.namespace)) is not None:
            if self.redis.get(site_key(self.namespace, request.site)) is None:
                self._open_run(request)

    def _open_run(self, request: RunRequest) -> None:
        lock = SiteLock(self.db_path, request.site)
        try:
            lock.acquire()
        except AlreadyRunningError as error:
            self.redis.set(refused_key(self.namespace, request.site), str(error), ex=REFUSAL_TTL_SECONDS)
            return
        self.writer.close_abandoned_runs(request.site, os.getpid())
        run = self.writer.start_run(request.site, os.getpid())
        since = (datetime.now(UTC) - timedelta(days=self.revisit_days)).isoformat()
        keys = RunKeys(self.namespace, run)
        known = known_pages(self.writer.db, request.site)
        traps = known_traps(self.writer.db, request.site, since)
        publish_run(self.redis, keys, request, known, traps, self.revisit_days)
        self.runs[run] = OpenRun(keys, request.site, lock, QuietWatch(self.quiet))
        log.info("%s: run %d opened (%d known pages)", request.site, run, len(known))

    def _adopt_open_runs(self) -> None:
        """Runs a previous writer opened (and was killed or stopped during) go on."""
        for key in self.redis.scan_iter(match=site_key(self.namespace, "*")):
            site = text(key).removeprefix(site_key(self.namespace, ""))
            run = int(self.redis.get(key) or 0)
            lock = SiteLock(self.db_path, site)
            try:
                lock.acquire()
            except AlreadyRunningError as error:  # a one-host crawl of the site began meanwhile
                log.warning("%s: run %d left open for now: %s", site, run, error)
                continue
            self.writer.db.execute("update crawl_runs set pid = ? where id = ?", [os.getpid(), run])
            self.writer.db.conn.commit()
            self.runs[run] = OpenRun(RunKeys(self.namespace, run), site, lock, QuietWatch(self.quiet))
            log.info("%s: run %d adopted from an earlier writer", site, run)

    def _finish_drained_runs(self) -> None:
        """A run ends when its workers are gone (each left by the stop rule, a budget, or
        died) and nothing changed for the quiet period; every result is written by then."""
        for run_id, run in list(self.runs.items()):
            if run.watch.quiet_now(self.redis, run.keys) and close_to_workers(self.redis, run.keys):
                drained(self.redis, run.keys, run.watch)  # re-queues the leases of workers that died
                self.finished.append(self._finish(run_id, run))
                del self.runs[run_id]

    def _finish(self, run_id: int, run: OpenRun) -> SiteResult:
        keys = run.keys
        stats = self._run_stats(run_id, keys)
        reason = run_reason({text(r) for r in self.redis.hvals(keys.key("reasons"))})
        if not self.redis.exists(keys.meta):  # its keys vanished, its workers' counters with them
            reason = FRONTIER_LOST
        unsettled = _unfetched_pages(self.redis, keys)
        found = self.redis.hgetall(keys.key("traps-found")).items()
        traps = {text(p): (bound, why) for p, t in found for bound, why in [json.loads(t)]}
        result = close_run(self.writer, run_id, run.site, reason, stats, unsettled, traps)
        end_run(self.redis, keys, run.site, {"status": result.status, "message": result.message, **result.figures})
        warc = self.warcs.pop(run.site, None)
        if warc is not None:
            warc.close()
        run.lock.release()
        log.info("%s: run %d %s", run.site, run_id, result.status)
        return result

    def _run_stats(self, run_id: int, keys: RunKeys) -> dict[str, Any]:
        """The workers' counters (fetching) plus the writer's (what became of each result)."""
        stats: Counter[str] = Counter()
        for name, value in self.redis.hgetall(keys.key("stats")).items():
            stats[text(name)] += int(value)
        for counter, count in self.writer.db.execute(
            "select counter, count from ingest_counts where run = ?", [run_id]
        ).fetchall():
            stats[counter] += count
        stats[KNOWN_COUNTER] = int(self.redis.scard(keys.key("known-skipped")))
        return dict(stats)


def run_reason(reasons: set[str]) -> str:
    """One reason for a shared run from its workers' reasons: the site ending a crawl (down,
    or its robots.txt failing) outweighs a budget, which outweighs a stop; no worker's reason means
    they were killed (a stop)."""
    for reason in (*SITE_ENDS, *BUDGET_STOPS, SHUTDOWN):
        if reason in reasons:
            return reason
    return FINISHED if reasons else SHUTDOWN


def _unfetched_pages(redis: Redis, keys: RunKeys) -> list[str]:
    """Possible articles named and never fetched: still queued when the run ended (a budget
    stopped every worker), or named past the run's budget and never queued."""
    pages = {text(url) for url in redis.smembers(keys.past_budget)}
    for member in redis.zrange(keys.queue, 0, -1):
        request = wire.loads(cast(bytes, member))
        meta = request.get("meta") or {}
        if meta.get(PAGE):
            pages.add(str(meta.get("redirect_urls", [request["url"]])[0]))
    return sorted(pages)


def _after(entry_id: str) -> str:
    """The smallest stream id after `entry_id` (XTRIM MINID keeps ids from it on)."""
    ms, seq = entry_id.split("-")
    return f"{ms}-{int(seq) + 1}"
