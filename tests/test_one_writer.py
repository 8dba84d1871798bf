"""The one writer of a crawl shared through Redis, as its operator meets it: one per namespace
of the frontier, and saying what it does while it serves."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from redis import Redis

from crawler.coordination import writer_key
from crawler.settings import GOVARCHIVE_REDIS_NAMESPACE as NAMESPACE
from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import run_cli
from tests.shared_crawl import ENV, Crawl, finish


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


def test_the_writer_says_what_it_wrote_while_it_serves(frontier: str, tmp_path: Path) -> None:
    """A writer serving for hours said nothing between a run's start and its end."""
    site = MirrorSite("cdd-mirror")
    site.delay = 0.05  # a crawl of a few seconds
    with serving(site) as base_url:
        run = Crawl(frontier, base_url, tmp_path)
        worker = run.worker()
        writer = run.writer(env={**ENV, "GOVARCHIVE_PROGRESS_INTERVAL": "1"})
        done = [finish(worker), finish(writer)]
    assert [d.returncode for d in done] == [0, 0], done
    lines = re.findall(r"INFO: written (\d+) results \((\d+) new, .*; runs open: (.*)", done[1].output)
    assert len(lines) >= 2, done[1].output
    assert sum(int(new) for _, new, _ in lines) <= len(site.articles)
    assert any(f"{urlsplit(base_url).netloc} (run 1)" in runs for *_, runs in lines)
