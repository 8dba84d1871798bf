"""Shared fixtures: mirror sites served from 127.0.0.1, the real CLI, archives on disk."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlite_utils import Database

from archive.migrations import migrations
from mirror.server import serving
from mirror.site import ROUTES, SITES, MirrorSite

FILES = Path(__file__).parent / "files"
GOVARCHIVE = Path(sys.executable).parent / "govarchive"


def read_fixture(*parts: str) -> str:
    return (FILES.joinpath(*parts)).read_text(encoding="utf-8")


@pytest.fixture
def memory_db() -> Database:
    db = Database(memory=True)
    migrations.apply(db)
    return db


@pytest.fixture(scope="session")
def mirror_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDD-style mirror crawled once into archive.db; for tests that only read it."""
    db = tmp_path_factory.mktemp("mirror-archive") / "archive.db"
    with serving(MirrorSite("cdd-mirror")) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
    return db


@pytest.fixture
def site_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A writable copy of a bundled mirror site, for tests that edit or break it."""

    def copy(name: str) -> Path:
        target = tmp_path / "sites" / name
        shutil.copytree(SITES / name, target)
        return target

    return copy


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """serve(site, routes=...) -> base URL of the site on 127.0.0.1; stopped after the test."""
    contexts: list[Any] = []

    def start(site: str | Path, routes: frozenset[str] = ROUTES) -> str:
        context = serving(MirrorSite(site, frozenset(routes)))
        contexts.append(context)
        return context.__enter__()

    yield start
    for context in reversed(contexts):
        context.__exit__(None, None, None)


def run_cli(*args: str, check: bool = True, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """The installed `govarchive` command, as a user runs it."""
    env = {**os.environ, "GOVARCHIVE_PROGRESS_INTERVAL": "0", **env_vars}
    result = subprocess.run([str(GOVARCHIVE), *args], capture_output=True, text=True, env=env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(
            f"govarchive {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql, params).fetchall()


def site_articles(site: str | Path) -> list[dict[str, Any]]:
    folder = Path(site) if Path(site).is_dir() else SITES / str(site)
    return json.loads((folder / "articles.json").read_text("utf-8"))


@contextlib.contextmanager
def serving_on_loopback(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server for `handler` on 127.0.0.1 while the block runs; its base URL
    (no trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` at `folder` (root only); GOVARCHIVE_REQUIRE_ROOT=1 (CI) fails without it."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        if os.environ.get("GOVARCHIVE_REQUIRE_ROOT") == "1":
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
        pytest.skip("mounting a small disk needs root (CI runs it)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian's package; .ci/run installs it)."""
    from bench.redis_server import NoRedisServerError, running_redis  # a copy of tests/ may lack bench/

    try:
        with running_redis(tmp_path_factory.mktemp("redis")) as url:
            yield url
    except NoRedisServerError as error:
        if os.environ.get("GOVARCHIVE_REQUIRE_REDIS") == "1":
            pytest.fail(str(error))
        pytest.skip(str(error))


@pytest.fixture
def frontier(redis_url: str) -> Iterator[str]:
    """An empty Redis for each test."""
    Redis.from_url(redis_url).flushall()
    yield redis_url
