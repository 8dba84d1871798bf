"""What the `govarchive` commands share: the --db option and opening an existing archive."""

from __future__ import annotations

from pathlib import Path

import click
from sqlite_utils import Database

from archive.db import DEFAULT_PATH, open_existing

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    envvar="GOVARCHIVE_DB",
    show_default=True,
    help="Archive file (SQLite). Also set by GOVARCHIVE_DB.",
)


def open_db(db_path: Path) -> Database:
    try:
        return open_existing(db_path)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
