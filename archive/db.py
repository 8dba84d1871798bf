"""Open an archive file ready for use: parent folder made, WAL on, migrations applied."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from archive.migrations import migrations

DEFAULT_PATH = Path("data/archive.db")
BUSY_TIMEOUT_MS = 30_000  # a reader or another writer may hold the lock for a moment


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
    db.enable_wal()
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


def open_existing(path: str | Path | None = None) -> ArchiveDatabase:
    """For read commands: a missing file is a user error, not a new empty archive."""
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        raise FileNotFoundError(f"no archive at {path}: run `govarchive crawl` first, or pass --db PATH")
    return open_archive(path)
