"""Faults a long-running archive meets: a full disk, damaged WARC files, SIGTERM; datasette keeps
reading throughout. Each is made for real: a small tmpfs, bytes overwritten, a signal sent."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.db import open_archive
from mirror.corpus import build_site
from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import rows, run_cli, small_disk
from tests.test_scheduled import CORPUS, SLOW_SITE_ARTICLES, count, start_crawl, wait_for
from tests.test_serve import start_datasette

MIRROR_ARTICLES = 23


def warc_records_readable(db: Path) -> int:
    """Reads every record of every WARC file; returns how many (raises on a damaged file)."""
    records = 0
    for path in sorted((db.parent / "warc").glob("*.warc.gz")):
        with path.open("rb") as file:
            for record in ArchiveIterator(file):
                record.content_stream().read()
                records += 1
    return records


def test_a_full_disk_fails_the_run_clearly_and_the_next_run_completes(tmp_path: Path) -> None:
    answers: list[int] = []
    with (
        small_disk(tmp_path / "disk", "1200k") as disk,
        serving(MirrorSite("cdd-mirror")) as base_url,
        reading_throughout(disk / "archive.db", answers),
    ):
        db = disk / "archive.db"
        full = run_cli("crawl", "--url", base_url, "--db", str(db), check=False)
        assert full.returncode == 1
        assert "FAILED (the disk is full: free space, then run again" in full.stdout, full.stdout
        assert "Traceback" not in full.stdout
        assert rows(db, "pragma integrity_check") == [("ok",)]
        warc_records_readable(db)  # a record cut short by the full disk was cut off again
        assert count(db, "select count(*) from articles") < MIRROR_ARTICLES
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        run_cli("crawl", "--url", base_url, "--db", str(db))
        assert rows(db, "pragma integrity_check") == [("ok",)]
        assert count(db, "select count(*) from articles") == MIRROR_ARTICLES
        # The full run is `failed`, or `killed` when not even its end could be written and the
        # next run closed it: never `ok`, never left `running`.
        (first,), (second,) = rows(db, "select status from crawl_runs order by id")
        assert first in ("failed", "killed") and second == "ok"
    assert len(answers) >= 3 and set(answers) == {200}, answers


def damage(path: Path, at: int, length: int) -> None:
    with path.open("r+b") as file:
        file.seek(at)
        file.write(b"\x00" * length)


def test_reextract_names_each_damaged_capture_and_does_the_rest(mirror_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(mirror_archive, db)
    shutil.copytree(mirror_archive.parent / "warc", tmp_path / "warc")
    pointers = rows(
        db, "select article_url, warc_file, warc_offset, warc_length from article_versions order by warc_offset"
    )
    (warc,) = {pointer[1] for pointer in pointers}
    corrupted, cut_at = pointers[3], pointers[-2]  # one record overwritten; the file cut in the last but one
    damage(db.parent / corrupted[1], corrupted[2] + 20, 40)
    os.truncate(db.parent / warc, cut_at[2] + cut_at[3] // 2)
    before = rows(db, "select url, body from articles order by url")
    result = run_cli("reextract", "--db", str(db), check=False)
    assert result.returncode == 1
    named = [line for line in result.stderr.splitlines() if line.startswith("unreadable capture, kept as it was")]
    assert len(named) == 3, result.stderr  # the overwritten record, the one cut, the one after it
    assert any(corrupted[0] in line and f"at byte {corrupted[2]}" in line for line in named)
    assert f"{MIRROR_ARTICLES} versions" in result.stdout and "3 with an unreadable capture" in result.stdout
    assert rows(db, "select url, body from articles order by url") == before  # damaged ones kept as they were
    exported = run_cli("export", "--db", str(db))  # export reads the database only
    assert len(exported.stdout.splitlines()) == MIRROR_ARTICLES


def test_reextract_of_an_archive_copied_without_its_warc_folder_says_so(mirror_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(mirror_archive, db)  # the .db alone, as someone might copy it
    result = run_cli("reextract", "--db", str(db), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"Error: no {tmp_path / 'warc'} folder beside the archive")


def poll_datasette(root: str, stop: threading.Event, answers: list[int]) -> None:
    while not stop.wait(0.1):
        try:
            with urllib.request.urlopen(f"{root}/archive/articles.json?_size=1", timeout=10) as response:
                answers.append(response.status)
        except OSError as error:
            answers.append(getattr(error, "code", 0))


@contextlib.contextmanager
def reading_throughout(db: Path, answers: list[int]) -> Iterator[None]:
    """datasette serving `db` (created empty first), asked for an article every 0.1 s meanwhile."""
    open_archive(db).close()
    stop = threading.Event()
    with start_datasette(db) as root:
        reader = threading.Thread(target=poll_datasette, args=(root, stop, answers))
        reader.start()
        try:
            yield
        finally:
            stop.set()
            reader.join()


def test_sigterm_stops_the_crawl_cleanly_while_datasette_reads(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    site = MirrorSite(build_site(CORPUS, tmp_path / "site", limit=SLOW_SITE_ARTICLES))
    site.delay = 0.2  # seconds before each article: the crawl is still busy when the signal comes
    answers: list[int] = []
    with reading_throughout(db, answers), serving(site) as base_url:
        crawl = start_crawl(base_url, db)
        wait_for(lambda: count(db, "select count(*) from articles") >= 3)
        crawl.send_signal(signal.SIGTERM)
        stdout, _ = crawl.communicate(timeout=60)
        assert crawl.returncode == 1 and "STOPPED (asked to stop" in stdout, stdout
        assert rows(db, "pragma integrity_check") == [("ok",)]
        ((status, stop_reason),) = rows(db, "select status, stop_reason from crawl_runs")
        assert status == "stopped" and "SIGTERM" in stop_reason
        archived = count(db, "select count(*) from articles")
        stopped = count(db, "select count(*) from failures where kind = 'stopped'")
        assert archived < SLOW_SITE_ARTICLES and stopped > 0  # what it did not reach is recorded
        site.delay = 0
        run_cli("crawl", "--url", base_url, "--db", str(db))
    assert count(db, "select count(*) from articles") == SLOW_SITE_ARTICLES
    assert len(answers) >= 3 and set(answers) == {200}, answers
