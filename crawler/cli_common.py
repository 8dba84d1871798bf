"""What the `govarchive` commands share: the --db option and opening an existing archive to read."""

from __future__ import annotations

from pathlib import Path

import click
from sqlite_utils import Database

from archive.db import DEFAULT_PATH, NotAnArchiveError, OutdatedArchiveError, open_archive, open_for_reading

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    envvar="GOVARCHIVE_DB",
    show_default=True,
    help="Archive file (SQLite). Also set by GOVARCHIVE_DB.",
)


def open_db(db_path: Path, write: bool = False) -> Database:
    """An existing archive: read-only for a read command, or a one-line error saying what to
    do; `write` opens it to write (pending schema steps applied), once it is known to be one."""
    try:
        db = open_for_reading(db_path)
    except OutdatedArchiveError as error:
        if not write:
            raise click.ClickException(str(error)) from error
        return open_archive(db_path)
    except NotAnArchiveError as error:
        raise click.ClickException(str(error)) from error
    if not write:
        return db
    db.close()
    return open_archive(db_path)
