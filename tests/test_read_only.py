"""Read commands read: they open the archive read-only, change no byte of it, work where the user
may not write, and refuse with one line what is not an archive (archive/db.py open_for_reading)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FILES, run_cli, small_disk
from tests.test_serve import get_json, start_datasette

READ_COMMANDS = [
    ("search", "เลิศรัฐ"),
    ("stats",),
    ("export", "--format", "csv"),
    ("check",),
    ("sites",),
]
EMPTY = hashlib.sha256(b"").hexdigest()


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file of the archive's folder (WARC files aside) and the hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "warc" not in path.parts
    }


@pytest.fixture
def archive_copy(mirror_archive: Path, tmp_path: Path) -> Path:
    db = tmp_path / "archive" / "archive.db"
    db.parent.mkdir()
    shutil.copy(mirror_archive, db)
    return db


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_command_changes_no_byte_of_the_archive(command: tuple[str, ...], archive_copy: Path) -> None:
    before = fingerprint(archive_copy.parent)
    result = run_cli(*command, "--db", str(archive_copy), check=False)
    assert result.returncode in (0, 1), result.stderr  # check may find the copy's site stale
    after = fingerprint(archive_copy.parent)
    # SQLite's shared-memory index and an empty log may appear: how readers share a WAL file.
    sharing = {"archive.db-shm", "archive.db-wal"}
    assert {k: v for k, v in after.items() if k not in sharing} == before
    assert after.get("archive.db-wal", EMPTY) == EMPTY


@pytest.fixture
def read_only_archive(mirror_archive: Path, tmp_path: Path) -> Iterator[Path]:
    """The archive on a filesystem mounted read-only: no one may write beside it, root included,
    as an archivist may not write in the cron user's folder."""
    with small_disk(tmp_path / "disk", "16m") as disk:
        shutil.copy(mirror_archive, disk / "archive.db")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        yield disk / "archive.db"


def test_an_archive_the_user_may_not_write_is_read(read_only_archive: Path) -> None:
    result = run_cli("search", "เลิศรัฐ", "--json", "--db", str(read_only_archive))
    assert '"url"' in result.stdout


def test_serve_shows_an_archive_the_user_may_not_write(read_only_archive: Path) -> None:
    with start_datasette(read_only_archive) as root:
        answer = get_json(f"{root}/archive/articles.json?_shape=array&_size=1")
    assert answer and answer[0]["url"].startswith("http://127.0.0.1:")


def test_another_programs_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as connection:
        connection.execute("create table notes (text)")
    before = other.read_bytes()
    result = run_cli("stats", "--db", str(other), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: {other} is an SQLite file but not a govarchive archive (no articles table)"
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_a_file_that_is_not_sqlite_gets_one_line(tmp_path: Path) -> None:
    text = tmp_path / "readme.txt"
    text.write_text("not a database\n" * 200)
    result = run_cli("search", "x", "--db", str(text), check=False)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "is not an SQLite file" in result.stderr and "Traceback" not in result.stderr


def test_an_old_archive_is_read_after_an_explicit_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.executescript((FILES / "first-release.sql").read_text("utf-8"))
    refused = run_cli("stats", "--db", str(db), check=False)
    assert refused.returncode == 1 and "run `govarchive upgrade" in refused.stderr
    upgraded = run_cli("upgrade", "--db", str(db))
    assert "applied add_capture_columns" in upgraded.stdout
    assert "cdd\t1\t2023-09-01" in run_cli("stats", "--db", str(db)).stdout
    assert "already up to date" in run_cli("upgrade", "--db", str(db)).stdout
