"""Serve an archive with datasette, configured for archivists (archive/datasette/)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from archive.schema import TABLES

CONFIG = Path(__file__).parent / "datasette"
METADATA_PLACEHOLDER = "ARCHIVE"


def write_metadata(db_path: Path, target: Path) -> Path:
    """The version-controlled metadata, with the database named as datasette names it and the
    columns described as archive/schema.py describes them."""
    metadata = yaml.safe_load((CONFIG / "metadata.yml").read_text("utf-8"))
    database = metadata["databases"].pop(METADATA_PLACEHOLDER)
    for table, columns in TABLES.items():
        described = database["tables"].setdefault(table, {})
        described["columns"] = {name: column.description for name, column in columns.items()}
    metadata["databases"][db_path.stem] = database
    target.write_text(yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def datasette_command(db_path: Path, port: int, metadata: Path, host: str = "127.0.0.1") -> list[str]:
    """datasette on the archive: mutable (it sees a running crawl's writes) yet read-only,
    since datasette opens mutable files with mode=ro and 0.65 has no write API."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db_path),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(metadata),
        "--plugins-dir",
        str(CONFIG / "plugins"),
        "--static",
        f"static-govarchive:{CONFIG / 'static'}",
        "--setting",
        "sql_time_limit_ms",
        "3000",
    ]
