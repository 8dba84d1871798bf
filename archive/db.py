"""Open an archive file ready for use: parent folder made, WAL on, migrations applied."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from archive.migrations import migrations

DEFAULT_PATH = Path("data/archive.db")
BUSY_TIMEOUT_MS = 30_000  # a reader or another writer may hold the lock for a moment
WAL_RETRY_SECONDS = 0.05


class ArchiveDatabase(Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[ArchiveDatabase]:
        """BEGIN IMMEDIATE instead of sqlite-utils' deferred BEGIN; nested blocks are savepoints.

        A deferred transaction reads first and asks for the write lock later; if another
        connection committed in between, SQLite refuses the upgrade at once ("database is
        locked"), busy timeout or not. Sites crawled side by side, or two crawls of different
        sites into one archive, lost articles that way. An immediate transaction waits its
        turn (up to BUSY_TIMEOUT_MS) instead.
        """
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def default_path() -> Path:
    return Path(os.environ.get("GOVARCHIVE_DB") or DEFAULT_PATH)


def open_archive(path: str | Path | None = None) -> ArchiveDatabase:
    """WAL lets datasette read while a crawl writes."""
    path = Path(path) if path is not None else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = ArchiveDatabase(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _enable_wal(db)
    # WAL with synchronous=NORMAL: never corrupts, and a killed process loses no committed
    # article; only an OS crash or power cut may lose the last commits. ~13% faster writes.
    db.execute("PRAGMA synchronous = NORMAL")
    if migrations.pending(db):
        # In one immediate transaction: two crawls opening a new archive at once would both
        # see the steps pending and the second fail on "table already exists"; this way it
        # waits, then finds nothing left to apply.
        with db.atomic():
            migrations.apply(db)
    return db


def _enable_wal(db: ArchiveDatabase) -> None:
    """Switch a new archive to WAL, waiting for others doing the same: SQLite answers a journal
    mode change with 'database is locked' at once, busy timeout or not, while another connection
    holds a lock (processes opening a new archive together failed so, now and then)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if db.journal_mode != "wal":
                db.enable_wal()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


class NotAnArchiveError(Exception):
    """The path holds no archive this version can read; the message says what to do."""


class OutdatedArchiveError(NotAnArchiveError):
    """An archive made by an older release: readable once upgraded."""


def open_for_reading(path: str | Path | None = None) -> ArchiveDatabase:
    """For read commands: the file opened read-only. Nothing is written, not even WAL mode or
    a migration, so an archive the user may not write (a cron user's) can be read, and another
    program's SQLite file is never changed.

    Opened with mode=ro; if SQLite cannot then share the write-ahead log (a folder the reader
    may not create files in, and no crawl running), read as immutable.
    """
    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        raise NotAnArchiveError(f"no archive at {path}: run `govarchive crawl` first, or pass --db PATH")
    db, tables = _tables_read_only(path)
    if not {"articles", "_sqlite_migrations"} <= tables:
        raise NotAnArchiveError(f"{path} is an SQLite file but not a govarchive archive (no articles table)")
    if migrations.pending(db):
        raise OutdatedArchiveError(
            f"{path} was made by an older govarchive: run `govarchive upgrade --db {path}` as a user who may write it"
        )
    return db


def _tables_read_only(path: Path) -> tuple[ArchiveDatabase, set[str]]:
    """The file opened read-only, and its tables; mode=ro first, immutable when SQLite may not
    create the files through which readers share a write-ahead log."""
    for mode in ("mode=ro", "immutable=1"):
        db = _read_only(path, mode)
        try:
            return db, set(db.table_names())
        except sqlite3.OperationalError as error:
            db.close()
            failure = error
        except sqlite3.DatabaseError as error:
            db.close()
            raise NotAnArchiveError(f"{path} is not an SQLite file ({error})") from error
    raise NotAnArchiveError(f"cannot read {path}: {failure}")


def _read_only(path: Path, mode: str) -> ArchiveDatabase:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return ArchiveDatabase(connection)


def upgrade(path: str | Path) -> list[str]:
    """Apply pending schema steps to an existing archive; returns their names."""
    path = Path(path)
    if not path.is_file():
        raise NotAnArchiveError(f"no archive at {path}")
    with sqlite3.connect(path) as probe:
        try:
            probe.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise NotAnArchiveError(f"{path} is not an SQLite file ({error})") from error
    pending = [m.name for m in migrations.pending(ArchiveDatabase(path))]
    open_archive(path).close()
    return pending
