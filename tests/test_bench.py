"""The benchmark's baselines measure what they claim: same archive, different architecture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_crawl import archived, lasting


def test_naive_pipeline_baseline_archives_exactly_what_govarchive_crawl_does(serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    ours, naive = tmp_path / "ours" / "archive.db", tmp_path / "naive" / "archive.db"
    run_cli("crawl", "--url", base_url, "--routes", "sitemap", "--db", str(ours))
    subprocess.run([sys.executable, "-m", "bench.naive_crawl", base_url, str(naive)], check=True, timeout=300)
    assert lasting(naive) == lasting(ours)
    assert len(archived(naive)) == 23


def test_a_command_writing_much_to_stderr_is_timed_to_its_end_and_its_failure_told() -> None:
    """A crawl that failed on every page logged more than a pipe holds and hung the bench."""
    from bench.processes import timed

    chatty = "import sys; sys.stderr.write('x' * 300_000)"  # past a pipe's 64 KiB
    assert timed([sys.executable, "-c", chatty]).seconds < 60
    with pytest.raises(RuntimeError, match=r"the end$"):
        timed([sys.executable, "-c", chatty + "; sys.stderr.write('the end'); sys.exit(3)"])


def test_the_cpu_of_a_command_counts_the_processes_it_starts_apart_from_its_own() -> None:
    from bench.processes import timed

    run = timed([sys.executable, str(Path(__file__).parent / "files" / "bench" / "spin_with_a_child.py")])
    assert 0.45 <= run.cpu_others <= 0.8  # the child's 0.6 s, sampled from /proc while it ran
    assert 0.25 <= run.cpu_main <= 0.5  # its own 0.3 s (and interpreter start), not the child's again


def test_a_crawls_extraction_workers_and_archive_writer_are_counted_apart_by_name(serve, tmp_path: Path) -> None:
    """They name themselves as ps shows them (crawler.workers.name_process), so the bench's CPU
    split (and an operator) tells them apart."""
    from bench.processes import timed
    from crawler.workers import WORKER_NAME
    from crawler.writer_process import WRITER_NAME

    base_url = serve("cdd-mirror")
    db = tmp_path / "archive.db"
    command = [str(Path(sys.executable).parent / "govarchive"), "crawl", "--url", base_url, "--db", str(db)]
    run = timed(command, {"GOVARCHIVE_EXTRACT_WORKERS": "2"})
    assert run.cpu_by_name[WORKER_NAME] > 0 and run.cpu_by_name[WRITER_NAME] > 0
