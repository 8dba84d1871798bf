"""Crawls shared across workers (issue 20): throughput with 1, 2 and 3 workers and one writer, the
writer alone, and what Redis holds per queued result and per seen URL.

Everything runs on this one machine, as users run it (`govarchive crawl --redis`, `govarchive
ingest`, a real redis-server), against the synthetic site. With two cores, more workers cannot
add CPU: the figures show what a worker and the writer cost, from which docs/scaling.md sizes
a deployment on several hosts.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from archive.warc import Pointer, read_record
from bench.pipeline import GOVARCHIVE, served
from bench.processes import Run, timed, tree_sample
from bench.redis_server import running_redis
from bench.synthetic import build
from crawler import wire
from crawler.handoff import results_key
from crawler.items import Article

PAGES = 2000
WORKER_COUNTS = (1, 2, 3)
QUIET_SECONDS = 2.0
SEEN_URLS = 1_000_000
QUEUED_RESULTS = 2000
NAMESPACE = "govarchive"
ENV = {
    "GOVARCHIVE_REDIS_QUIET_SECONDS": str(QUIET_SECONDS),
    "GOVARCHIVE_LOG_LEVEL": "WARNING",
    "GOVARCHIVE_PROGRESS_INTERVAL": "0",
    "GOVARCHIVE_ATTACHMENTS": "",  # article pages only, as in bench/pipeline.py
}


def count_articles(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return int(connection.execute("select count(*) from articles").fetchone()[0])
    except sqlite3.Error:  # not made yet
        return 0


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A govarchive command, its output to `log` (a pipe nobody reads would fill and stop it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        return subprocess.Popen([str(GOVARCHIVE), *args], env={**os.environ, **ENV}, stdout=output, stderr=output)


def cpu_of(processes: list[subprocess.Popen[bytes]], spent: dict[int, float]) -> None:
    for process in processes:
        spent.update((pid, seconds) for pid, (_, seconds) in tree_sample(process.pid)[1].items())


def shared_crawl(redis_url: str, base_url: str, folder: Path, workers: int) -> tuple[float, float]:
    """Seconds until the writer holds every article, and CPU seconds of all the crawl's processes."""
    db = folder / "archive.db"
    began = time.perf_counter()
    writer = start(["ingest", "--redis", redis_url, "--db", str(db), "--exit-when-idle", "1"], folder / "writer.log")
    crawl = ["crawl", "--redis", redis_url, "--url", base_url, "--routes", "sitemap"]
    team = [start([*crawl, "--db", str(folder / f"w{n}" / "cache.db")], folder / f"w{n}.log") for n in range(workers)]
    spent: dict[int, float] = {}
    while count_articles(db) < PAGES:
        if any(p.poll() not in (None, 0) for p in [writer, *team]):
            raise RuntimeError(f"a shared crawl's process failed: see the logs in {folder}")
        cpu_of([writer, *team], spent)
        time.sleep(0.1)
    seconds = time.perf_counter() - began
    for process in [*team, writer]:  # measured: no need to wait for the workers' stop rule
        process.terminate()
        process.wait(120)
    return seconds, sum(spent.values())


def single_crawl(base_url: str, folder: Path) -> Run:
    command = ["crawl", "--url", base_url, "--routes", "sitemap", "--db", str(folder / "archive.db")]
    return timed([str(GOVARCHIVE), *command], ENV)


def fill_stream(redis: Redis, db: Path) -> int:
    """The articles of a crawled archive as workers hand them over, each with its real WARC
    record: returns the bytes they take in Redis."""
    before = int(redis.info("memory")["used_memory"])
    columns = "url, site, agency, title, body, source_url, http_status, fetched_at, extractor, published, language"
    keep = ", ".join(f"a.{column}" for column in columns.split(", "))
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        sql = (
            f"select {keep}, v.warc_file, v.warc_offset, v.warc_length from articles a join article_versions v "
            f"on v.article_url = a.url and v.version = a.version limit {QUEUED_RESULTS}"
        )
        records = [dict(r) for r in connection.execute(sql)]
    with redis.pipeline(transaction=False) as pipe:
        for record in records:
            where = Pointer(record.pop("warc_file"), record.pop("warc_offset"), record.pop("warc_length"))
            article = Article(**record, crawl_run=1, capture=read_record(db, where))
            pipe.xadd(results_key(NAMESPACE), wire.encode_result(article))  # type: ignore[arg-type]
        pipe.execute()
    return int(redis.info("memory")["used_memory"]) - before


@dataclass
class Writer:
    rate: float  # articles/s, process start included
    cpu_ms: float  # CPU per article
    redis_bytes: int  # per 1,000 results waiting


def writer_alone(redis_url: str, source: Path, folder: Path) -> Writer:
    """How fast the writer ingests from a full stream, and what 1,000 waiting results hold in Redis."""
    redis = Redis.from_url(redis_url)
    redis.flushall()
    held = fill_stream(redis, source)
    db = folder / "archive.db"
    began = time.perf_counter()
    writer = start(["ingest", "--redis", redis_url, "--db", str(db), "--exit-when-idle", "1"], folder / "writer.log")
    spent: dict[int, float] = {}
    while count_articles(db) < QUEUED_RESULTS:
        cpu_of([writer], spent)
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    writer.wait(60)
    return Writer(QUEUED_RESULTS / seconds, 1000 * sum(spent.values()) / QUEUED_RESULTS, held * 1000 // QUEUED_RESULTS)


def seen_set_bytes(redis_url: str) -> int:
    """Redis memory for SEEN_URLS request fingerprints (scrapy-redis keeps SHA-1 hex digests)."""
    redis = Redis.from_url(redis_url)
    redis.flushall()
    before = int(redis.info("memory")["used_memory"])
    batch = 20_000
    for start_at in range(0, SEEN_URLS, batch):
        digests = [hashlib.sha1(f"https://x.go.th/{n}".encode()).hexdigest() for n in range(start_at, start_at + batch)]
        redis.sadd(f"{NAMESPACE}:run:1:seen", *digests)
    return int(redis.info("memory")["used_memory"]) - before


def run() -> str:
    """The section, from a scratch folder removed at the end: a run's sites, archives and WARC
    files (the pipeline's: ~1.7 GB) filled the disk after a dozen runs."""
    with tempfile.TemporaryDirectory(prefix="govarchive-bench-scaling-") as scratch:
        return report(Path(scratch))


def report(scratch: Path) -> str:
    folder = build(scratch / "site", PAGES)
    cores = os.cpu_count() or 1
    with running_redis(scratch) as redis_url, served(folder) as base_url:
        single = single_crawl(base_url, scratch / "single")
        shared = {}
        for workers in WORKER_COUNTS:
            Redis.from_url(redis_url).flushall()
            shared[workers] = shared_crawl(redis_url, base_url, scratch / f"shared-{workers}", workers)
            print(f"bench: {workers} workers: {PAGES / shared[workers][0]:.1f} articles/s", flush=True)
        alone = writer_alone(redis_url, scratch / "shared-1" / "archive.db", scratch / "alone")
        seen = seen_set_bytes(redis_url)
    lines = [
        "## Crawls shared across workers",
        "",
        f"The synthetic site of {PAGES:,} pages crawled (sitemap route) by workers (`govarchive crawl --redis`) "
        f"and one writer (`govarchive ingest`) through a real redis-server, all on this machine ({cores} CPUs): "
        "the time until the writer holds every article (process starts included; the workers' stop rule "
        f"waits {QUIET_SECONDS:g} s after that), and the CPU of every process of the crawl (workers, their "
        "extraction pools, the writer; Redis not counted). The one-process crawl (`govarchive crawl --url`) "
        "is the baseline, in the same run.",
        "",
        "| crawl | articles/s | vs one process | CPU per article (ms) |",
        "|---|---|---|---|",
        f"| one process | {single.rate(PAGES):.1f} | 1.00x | {single.cpu_ms(PAGES)[0]:.1f} |",
        *(
            f"| {n} worker{'s' if n > 1 else ''} + writer | {PAGES / seconds:.1f} | {single.seconds / seconds:.2f}x "
            f"| {1000 * cpu / PAGES:.1f} |"
            for n, (seconds, cpu) in shared.items()
        ),
        "",
        f"On {cores} cores the rate stays flat as workers are added: each worker already keeps the cores busy "
        "with its extraction pool; more workers pay off with more hosts (docs/scaling.md).",
        "",
        f"The writer alone, ingesting {QUEUED_RESULTS:,} results waiting in the stream (the articles of the "
        f"1-worker crawl with their WARC records): **{alone.rate:,.0f} articles/s**, process start included, "
        f"at {alone.cpu_ms:.2f} ms of CPU an article: one core would let it ingest about "
        f"{1000 / alone.cpu_ms:,.0f} articles/s.",
        "",
        f"Redis memory: {alone.redis_bytes / 2**20:.1f} MiB per 1,000 results waiting for the writer; "
        f"{seen / 2**20:.0f} MiB per {SEEN_URLS:,} URLs in a run's seen-set.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(run())
