"""WACZ export: the captures behind the archived articles as one file a replay tool opens
(ReplayWeb.page, pywb) and a validator checks.

The package is made by Webrecorder's `wacz` (WARC data, CDXJ index, datapackage.json with
SHA-256 digests). Its page detection finds no page in a crawl like ours (there is no seed
record), so pages/pages.jsonl is written here: one entry per archived article, its URL the
capture's target URI (the URL after redirects), its timestamp the capture's, its title ours.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database

from archive.export import where_clause
from archive.warc import Pointer, UnreadableCaptureError, read_checked

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}
UNMATCHED_PAGE = "Invalid passed page"  # what `wacz create` prints for a page without a record


class WaczError(Exception):
    """The WACZ could not be made; the message says why."""


class ArticleCapture(NamedTuple):
    title: str
    url: str  # the capture's target URI
    fetched_at: str
    pointer: Pointer


class Exported(NamedTuple):
    articles: int
    damaged: list[str]  # articles left out: their capture could not be read back (named)


def current_captures(db: Database, site: str | None = None, since: str | None = None) -> Iterator[ArticleCapture]:
    """The capture of each article's current version, in URL order."""
    clause, params = where_clause(site, since, table="a")
    sql = f"""
        select a.title, coalesce(v.final_url, a.url), v.fetched_at, v.warc_file, v.warc_offset, v.warc_length
        from articles a join article_versions v on v.article_url = a.url and v.version = a.version
        {clause}{" and" if clause else " where"} v.warc_file is not null
        order by a.url
    """
    for title, url, fetched_at, *pointer in db.execute(sql, params):
        yield ArticleCapture(title, url, fetched_at, Pointer(*pointer))


def attachment_captures(
    db: Database, site: str | None = None, since: str | None = None
) -> Iterator[tuple[str, Pointer]]:
    """The capture of each file the exported articles hold (images, documents), once each."""
    clause, params = where_clause(site, since, table="a")
    sql = f"""
        select distinct t.url, t.warc_file, t.warc_offset, t.warc_length
        from attachments t join article_attachments l on l.attachment_url = t.url
        join articles a on a.url = l.article_url
        {clause}{" and" if clause else " where"} t.warc_file is not null
        order by t.url
    """
    for url, *pointer in db.execute(sql, params):
        yield url, Pointer(*pointer)


def write_wacz(
    db: Database,
    db_path: Path,
    out: Path,
    site: str | None = None,
    since: str | None = None,
    advance: Callable[[], None] = lambda: None,
) -> Exported:
    """Every current capture (checked against its digests first) into `out`, with the files
    the articles hold; a damaged one is left out and named."""
    damaged: list[str] = []
    with tempfile.TemporaryDirectory(prefix="govarchive-wacz-") as scratch:
        data, pages = Path(scratch) / "articles.warc.gz", Path(scratch) / "pages.jsonl"
        count = 0
        with data.open("wb") as warc, pages.open("w", encoding="utf-8") as index:
            index.write(json.dumps(PAGES_HEADER) + "\n")
            for capture in current_captures(db, site, since):
                advance()
                try:
                    _, record = read_checked(db_path, capture.pointer)
                except UnreadableCaptureError as error:
                    damaged.append(f"{capture.url}: {error}")
                    continue
                warc.write(record)  # a gzip member each: a valid .warc.gz
                index.write(json.dumps(_page(capture), ensure_ascii=False) + "\n")
                count += 1
            for url, pointer in attachment_captures(db, site, since):  # a replayed page shows its images
                try:
                    warc.write(read_checked(db_path, pointer)[1])
                except UnreadableCaptureError as error:
                    damaged.append(f"{url}: {error}")
        if not count:
            raise WaczError("no archived article with a readable capture matches: nothing to export")
        _create(out, pages, data)
    return Exported(count, damaged)


def _page(capture: ArticleCapture) -> dict[str, str]:
    ts = datetime.fromisoformat(capture.fetched_at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"url": capture.url, "ts": ts, "title": capture.title}


def _create(out: Path, pages: Path, data: Path) -> None:
    """`wacz create`, its chatter kept off our output; a page it cannot match is an error."""
    from wacz.main import main as wacz

    said = io.StringIO()
    with redirect_stdout(said):
        status = wacz(["create", "-o", str(out), "--pages", str(pages), str(data)])
    unmatched = [line for line in said.getvalue().splitlines() if line.startswith(UNMATCHED_PAGE)]
    if status or unmatched:
        out.unlink(missing_ok=True)
        raise WaczError(f"wacz could not package the captures: {(unmatched or [said.getvalue()[-300:]])[0]}")
