"""Workers and writers of a crawl shared through Redis, started as users start them
(`govarchive crawl --redis`, `govarchive ingest`), for tests/test_distributed.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import GOVARCHIVE

QUIET = 2.0  # GOVARCHIVE_REDIS_QUIET_SECONDS in these tests
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

    def writer(self, idle_exit: float = 6.0) -> Started:
        args = ["ingest", "--redis", self.redis_url, "--db", str(self.db), "--exit-when-idle", str(idle_exit)]
        return self._start(args)

    def worker(self, env: dict[str, str] = ENV) -> Started:
        cache = self.folder / f"worker-{len(self.workers)}" / "cache.db"
        process = self._start(["crawl", "--redis", self.redis_url, "--url", self.base_url, "--db", str(cache)], env)
        self.workers.append(process)
        return process

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


def crawl_with(crawl: Crawl, workers: int = 3) -> list[Done]:
    writer = crawl.writer()
    for _ in range(workers):
        crawl.worker()
    return [finish(w) for w in crawl.workers] + [finish(writer)]
