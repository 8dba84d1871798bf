"""Serve an archive with datasette, configured for archivists (archive/datasette/)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from archive.schema import TABLES

CONFIG = Path(__file__).parent / "datasette"
METADATA_PLACEHOLDER = "ARCHIVE"
CAPTURE_ROUTE = "/-/capture/{database}/{version}"  # a version's raw response (the view plugin serves it)
FILE_ROUTE = "/-/file/{database}/{rowid}"  # an attachment as captured
FACET_SIZE = 5  # values per facet: six facets of datasette's 30 pushed the first row off the screen


def write_metadata(db_path: Path, target: Path) -> Path:
    """The version-controlled metadata, with the database named as datasette names it and the
    columns described as archive/schema.py describes them."""
    metadata = yaml.safe_load((CONFIG / "metadata.yml").read_text("utf-8"))
    database = metadata["databases"].pop(METADATA_PLACEHOLDER)
    for table, columns in TABLES.items():
        described = database["tables"].setdefault(table, {})
        described["columns"] = {name: column.description for name, column in columns.items()}
    metadata["databases"][db_path.stem] = database
    metadata["description_html"] = metadata["description_html"].replace(
        f"/{METADATA_PLACEHOLDER}/", f"/{db_path.stem}/"
    )
    target.write_text(yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def can_share_the_log(db_path: Path) -> bool:
    """Whether this user's SQLite can join the archive's write-ahead log: it must be able to
    create or write the -shm file beside it."""
    shm = db_path.with_name(db_path.name + "-shm")
    return os.access(shm, os.W_OK) if shm.exists() else os.access(db_path.parent, os.W_OK)


def datasette_arguments(db_path: Path, port: int, metadata: Path, host: str = "127.0.0.1") -> list[str]:
    """`datasette serve` on the archive: mutable (it sees a running crawl's writes) yet
    read-only, since datasette opens mutable files with mode=ro and 0.65 has no write API.
    Where this user cannot join the write-ahead log (a folder owned by the cron user), the
    file is served immutable: what was committed when datasette started."""
    database = [str(db_path)] if can_share_the_log(db_path) else ["--immutable", str(db_path)]
    return [
        "serve",
        *database,
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(metadata),
        "--plugins-dir",
        str(CONFIG / "plugins"),
        "--template-dir",
        str(CONFIG / "templates"),
        "--static",
        f"static-govarchive:{CONFIG / 'static'}",
        "--setting",
        "sql_time_limit_ms",
        "3000",
        "--setting",
        "default_facet_size",
        str(FACET_SIZE),
    ]
