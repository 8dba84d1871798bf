"""Stream the current version of each article as JSON Lines or CSV, in bounded memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from sqlite_utils import Database

from archive.schema import ARTICLE_COLUMNS, ARTICLE_STATE_COLUMNS
from archive.store import LIST_COLUMNS

EXPORT_COLUMNS = [*ARTICLE_COLUMNS, *(c for c in ARTICLE_STATE_COLUMNS if c not in ("etag", "last_modified"))]
FORMATS = ("jsonl", "csv")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one


def where_clause(site: str | None, since: str | None, table: str | None = None) -> tuple[str, list[str]]:
    """` where ...` selecting a site's articles published since a day (of `table`, an alias)."""
    prefix = f"{table}." if table else ""
    where, params = [], []
    if site:
        where.append(f"{prefix}site = ?")
        params.append(site)
    if since:
        where.append(f"{prefix}published >= ?")
        params.append(since)
    return (f" where {' and '.join(where)}" if where else ""), params


def count_articles(db: Database, site: str | None = None, since: str | None = None) -> int:
    clause, params = where_clause(site, since)
    return int(db.execute(f"select count(*) from articles{clause}", params).fetchone()[0])


def iter_articles(db: Database, site: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows one at a time from an SQLite cursor: memory does not grow with the archive."""
    clause, params = where_clause(site, since)
    cursor = db.execute(f"select {', '.join(EXPORT_COLUMNS)} from articles{clause} order by url", params)
    for row in cursor:
        yield dict(zip(EXPORT_COLUMNS, row, strict=True))


def write_articles(rows: Iterable[dict[str, Any]], out: TextIO, fmt: str, bom: bool = False) -> int:
    """Write articles to `out` as `fmt`; returns how many. In JSON Lines the list columns are
    lists; in CSV they stay JSON text, one cell each."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS) if fmt == "csv" else None
    if writer:
        if bom:
            out.write(BOM)
        writer.writeheader()
    for row in rows:
        if writer:
            writer.writerow(row)
        else:
            for column in LIST_COLUMNS:
                row[column] = json.loads(row[column]) if row[column] else []
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
