"""One writer per namespace of the frontier: two writers of different archives on one Redis
namespace would each read the one stream of results and trim what the other had not read."""

from __future__ import annotations

import time
from pathlib import Path

from redis import Redis

from crawler.coordination import writer_key
from crawler.settings import GOVARCHIVE_REDIS_NAMESPACE as NAMESPACE
from tests.conftest import run_cli
from tests.shared_crawl import Crawl, finish


def test_a_second_archives_writer_on_the_same_namespace_is_refused_and_touches_nothing(
    frontier: str, tmp_path: Path
) -> None:
    first = Crawl(frontier, "http://127.0.0.1:9/", tmp_path / "first").writer(idle_exit=60)
    redis = Redis.from_url(frontier)
    deadline = time.monotonic() + 30
    while not redis.exists(writer_key(NAMESPACE)):
        assert time.monotonic() < deadline and first.poll() is None, "the first writer did not start"
        time.sleep(0.05)
    second = tmp_path / "second.db"
    refused = run_cli("ingest", "--redis", frontier, "--db", str(second), "--exit-when-idle", "0", check=False)
    first.terminate()
    assert finish(first).returncode == 0
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "served by another writer" in refused.stderr and "GOVARCHIVE_REDIS_NAMESPACE" in refused.stderr
    assert not second.exists()
    again = run_cli("ingest", "--redis", frontier, "--db", str(second), "--exit-when-idle", "0", check=False)
    assert again.returncode == 0, again.stderr  # the first let go of the namespace when it stopped
