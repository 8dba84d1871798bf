"""Serve an archive with datasette, configured for archivists (archive/datasette/)."""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG = Path(__file__).parent / "datasette"
METADATA_PLACEHOLDER = "ARCHIVE"


def write_metadata(db_path: Path, target: Path) -> Path:
    """The version-controlled metadata, with the database named as datasette names it."""
    text = (CONFIG / "metadata.yml").read_text("utf-8")
    target.write_text(text.replace(f"  {METADATA_PLACEHOLDER}:", f"  {db_path.stem}:"), encoding="utf-8")
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
