"""Workers and writers of a crawl shared through Redis, started as users start them
(`govarchive crawl --redis`, `govarchive ingest`), for tests/test_distributed.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from crawler.coordination import requests_key, site_key
from crawler.settings import GOVARCHIVE_REDIS_NAMESPACE as NAMESPACE
from tests.conftest import GOVARCHIVE

QUIET = 2.0  # GOVARCHIVE_REDIS_QUIET_SECONDS in these tests
# A writer started once a worker has asked for a run ends this long after the run's close.
IDLE_EXIT = 1.0
LEASE = 3.0  # GOVARCHIVE_REDIS_LEASE_SECONDS
ENV = {
    "GOVARCHIVE_REDIS_QUIET_SECONDS": str(QUIET),
    "GOVARCHIVE_REDIS_LEASE_SECONDS": str(LEASE),
    "GOVARCHIVE_EXTRACT_WORKERS": "0",  # three workers and a writer already share two cores
    "GOVARCHIVE_PROGRESS_INTERVAL": "0",
}


@dataclass
class Done:
    returncode: int
    output: str
    ended: float  # time.monotonic() when it exited, the clock of the site's answer log


class Started(subprocess.Popen[bytes]):
    """A govarchive command, its output in a file: a pipe read only at the end fills up and
    stops the command mid-crawl."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as output:
            super().__init__([str(GOVARCHIVE), *args], stdout=output, stderr=subprocess.STDOUT, env=env)


class Crawl:
    """Workers and writers of one archive, started as a user starts them."""

    def __init__(self, redis_url: str, base_url: str, folder: Path) -> None:
        self.redis_url, self.base_url, self.folder = redis_url, base_url, folder
        self.db = folder / "archive.db"
        self.workers: list[Started] = []
        self.started = 0

    def writer(self, idle_exit: float = IDLE_EXIT, env: dict[str, str] = ENV) -> Started:
        """Started once the workers started before it have asked for a run (or one is open):
        a writer with nothing to do yet would be idle, and its short idle_exit could end it
        before the first worker has imported Scrapy."""
        if self.workers:
            self._wait_for_a_run()
        args = ["ingest", "--redis", self.redis_url, "--db", str(self.db), "--exit-when-idle", str(idle_exit)]
        return self._start(args, env)

    def worker(self, env: dict[str, str] = ENV) -> Started:
        cache = self.folder / f"worker-{len(self.workers)}" / "cache.db"
        process = self._start(["crawl", "--redis", self.redis_url, "--url", self.base_url, "--db", str(cache)], env)
        self.workers.append(process)
        return process

    def _wait_for_a_run(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with Redis.from_url(self.redis_url) as redis:
            while not (redis.exists(requests_key(NAMESPACE)) or redis.keys(site_key(NAMESPACE, "*"))):
                assert all(w.poll() is None for w in self.workers), "a worker exited before asking for a run"
                assert time.monotonic() < deadline, f"no worker asked for a run within {timeout} s"
                time.sleep(0.05)

    def _start(self, args: list[str], env: dict[str, str] = ENV) -> Started:
        self.started += 1
        return Started(args, {**os.environ, **env}, self.folder / "logs" / f"{self.started}-{args[0]}.log")

    def articles(self) -> int:
        """Read-only, so that asking never creates the file before the writer does."""
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as connection:
                return int(connection.execute("select count(*) from articles").fetchone()[0])
        except sqlite3.Error:  # not created yet
            return 0

    def wait_for_articles(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.articles() < count:
            assert time.monotonic() < deadline, f"only {self.articles()} articles after {timeout} s"
            time.sleep(0.1)


def finish(process: Started, timeout: float = 180) -> Done:
    process.wait(timeout)
    return Done(process.returncode, process.log.read_text("utf-8", errors="replace"), time.monotonic())


def crawl_with(crawl: Crawl, workers: int = 3, env: dict[str, str] = ENV) -> list[Done]:
    for _ in range(workers):
        crawl.worker(env)
    writer = crawl.writer()
    return [finish(w) for w in crawl.workers] + [finish(writer)]
