"""Write articles and failures. Records are plain JSON-able dicts, so this writer can run
in its own process fed by a queue from many crawler workers."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from sqlite_utils import Database

from archive.migrations import ARTICLE_COLUMNS

Outcome = Literal["new", "updated", "unchanged"]
LIST_COLUMNS = ("authors", "categories", "tags")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def to_row(record: dict[str, Any]) -> dict[str, Any]:
    """An article record as a row: lists as JSON, hash computed, unknown keys refused."""
    unknown = set(record) - set(ARTICLE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown article fields: {sorted(unknown)}")
    row = dict(record)
    for column in LIST_COLUMNS:
        if isinstance(row.get(column), list):
            row[column] = json.dumps(row[column], ensure_ascii=False)
    row["sha256"] = body_hash(row["body"])
    row.setdefault("fetched_at", utc_now())
    return row


class ArchiveWriter:
    def __init__(self, db: Database) -> None:
        self.db = db

    def write_article(self, record: dict[str, Any]) -> Outcome:
        """Insert or update by canonical URL; a re-crawl never adds a second row."""
        row = to_row(record)
        with self.db.atomic():
            existing = self.db.execute("select sha256, title from articles where url = ?", [row["url"]]).fetchone()
            if existing is None:
                self.db.table("articles").insert(row)
                return "new"
            if existing == (row["sha256"], row["title"]):
                self.db.table("articles").update(
                    row["url"], {"fetched_at": row["fetched_at"], "http_status": row["http_status"]}
                )
                return "unchanged"
            self.db.table("articles").update(row["url"], row)
            return "updated"

    def record_failure(self, url: str, reason: str, site: str | None = None, http_status: int | None = None) -> None:
        with self.db.atomic():
            self.db.table("failures").insert(
                {"url": url, "site": site, "reason": reason, "http_status": http_status, "time": utc_now()}
            )
