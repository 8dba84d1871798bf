"""datasette plugin: archived articles shown readably, and always inert.

Archived text is untrusted: every value is escaped here before any markup of ours is
added, and only http(s) URLs become links. A captured page is served with a sandboxing
Content-Security-Policy, so its scripts never run in datasette's origin.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup

from archive.browse import CAPTURE_ROUTE, FILE_ROUTE
from archive.store import LIST_COLUMNS
from archive.warc import Pointer, UnreadableCaptureError, read_checked

LINK_COLUMNS = {"url", "source_url", "final_url", "image", "article_url"}
# Dates the page gave, with the site's offset, and times we recorded, in UTC.
LOCAL_DATES = {"published", "modified"}
UTC_TIMES = {"fetched_at", "removed_at", "started", "finished", "time", "found", "last_change"}
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def safe_link(value: str) -> Markup | None:
    if urlsplit(value).scheme not in ("http", "https"):
        return None
    return Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(value)


def paragraphs(text: str) -> Markup:
    parts = [p for p in text.split("\n\n") if p.strip()]
    inner = Markup("").join(Markup("<p>{}</p>").format(p) for p in parts)
    return Markup('<div class="ga-body">{}</div>').format(inner)


def as_list(value: str) -> Markup | None:
    """A JSON array as its items, each escaped; anything else as it is."""
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    return Markup('<span class="ga-list">{}</span>').format(
        Markup("").join(Markup('<span class="ga-item">{}</span>').format(str(item)) for item in items)
    )


def readable_time(value: str, utc: bool) -> Markup | None:
    """2023-08-30T14:05:00+07:00 as 2023-08-30 14:05 +07:00 (the offset kept: it is the
    agency's), our own UTC times as ... UTC; the exact value stays in the datetime attribute."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        shown = moment.strftime("%Y-%m-%d %H:%M")
    elif utc and moment.utcoffset() == timedelta(0):
        shown = moment.strftime("%Y-%m-%d %H:%M UTC")
    else:
        shown = moment.strftime("%Y-%m-%d %H:%M ") + moment.isoformat()[-6:]
    return Markup('<time datetime="{}">{}</time>').format(value, shown)


def capture_links(datasette: Any, database: str, version: int) -> Markup:
    path = datasette.urls.path(CAPTURE_ROUTE.format(database=quote(database), version=version))
    return Markup('<a href="{0}">page as captured</a> · <a href="{0}.warc.gz">WARC record</a>').format(path)


ATTACHMENTS_OF = """
    select t.rowid, t.url, t.media_type, t.bytes, t.pages, t.text_method, l.role, t.warc_file is not null
    from article_attachments l join attachments t on t.url = l.attachment_url
    where l.article_url = ? order by l.position
"""


def files_of(datasette: Any, database: str, article_url: str, image: str | None) -> Any:
    """The article's archived files, the images shown as they were captured; without any, the
    lead image's URL as a link."""

    async def render() -> Markup | None:
        found = (await datasette.get_database(database).execute(ATTACHMENTS_OF, [article_url])).rows
        if not found:
            return safe_link(image) if image else None
        items = Markup("").join(file_item(datasette, database, *row) for row in found)
        return Markup('<ul class="ga-files">{}</ul>').format(items)

    return render


def file_item(
    datasette: Any,
    database: str,
    rowid: int,
    url: str,
    media_type: str,
    size: int,
    pages: int | None,
    method: str,
    role: str,
    captured: bool,
) -> Markup:
    """One file: the image itself, or its name; type, size, pages, and its row (with the text)."""
    served = datasette.urls.path(FILE_ROUTE.format(database=quote(database), rowid=rowid))
    name = url.rsplit("/", 1)[-1] or url
    shown = (
        Markup('<img class="ga-image" src="{}" alt="{}" loading="lazy">').format(served, role)
        if captured and media_type.startswith("image/")
        else Markup("{}").format(name)
    )
    row = datasette.urls.row(database, "attachments", tilde_encode(url))
    about = [role, media_type, f"{size:,} bytes"] + ([f"{pages} pages"] if pages else [])
    text = Markup(' · <a href="{}">text ({})</a>').format(row, method) if method not in ("none",) else ""
    target = served if captured else url
    return Markup('<li><a href="{}">{}</a> <span class="ga-about">{}</span>{}</li>').format(
        target, shown, " · ".join(about), text
    )


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    keys = set(row.keys()) if hasattr(row, "keys") else set()
    if column == "image" and table == "articles" and "url" in keys:
        return files_of(datasette, database, row["url"], value)
    if column == "version" and table == "articles" and "url" in keys:
        path = datasette.urls.table(database, "article_versions") + "?article_url=" + quote(row["url"], safe="")
        return Markup('{} · <a href="{}">all versions</a>').format(value, path)
    if column == "id" and table == "article_versions" and isinstance(value, int):
        return Markup("{} · {}").format(value, capture_links(datasette, database, value))
    if not isinstance(value, str):
        return None
    if column == "body" and table in ("articles", "article_versions"):
        return paragraphs(value)
    if column in LIST_COLUMNS and value:
        return as_list(value)
    if column in LOCAL_DATES | UTC_TIMES and value:
        return readable_time(value, utc=column in UTC_TIMES)
    if column in LINK_COLUMNS and value:
        return safe_link(value)
    return None


async def capture(request: Any, datasette: Any) -> Response:
    """One version's raw response: the page as captured (inert), or its WARC record."""
    name, number = request.url_vars["database"], request.url_vars["version"]
    raw = number.endswith(".warc.gz")
    db = datasette.get_database(name)
    sql = "select warc_file, warc_offset, warc_length from article_versions where id = ?"
    found = (await db.execute(sql, [int(number.removesuffix(".warc.gz"))])).first()
    if found is None or found[0] is None:
        return Response.text("no capture for this version", status=404)
    pointer = Pointer(*found)
    try:
        page, record = read_checked(db.path, pointer)
    except UnreadableCaptureError as error:
        return Response.text(f"the capture is unreadable: {error}", status=500)
    if raw:
        headers = {"content-disposition": f'attachment; filename="version-{number}"'}
        return Response(record, content_type="application/warc", headers=headers)
    content_type = next((v for k, v in page.headers if k.lower() == "content-type"), "application/octet-stream")
    headers = {"content-security-policy": SANDBOX, "x-content-type-options": "nosniff"}
    return Response(page.body, content_type=content_type, headers=headers)


async def attachment_file(request: Any, datasette: Any) -> Response:
    """An attachment as captured (inert: a sandbox, no sniffing), for images on article pages."""
    db = datasette.get_database(request.url_vars["database"])
    sql = "select warc_file, warc_offset, warc_length, media_type from attachments where rowid = ?"
    found = (await db.execute(sql, [int(request.url_vars["rowid"])])).first()
    if found is None or found[0] is None:
        return Response.text("no capture of this file", status=404)
    try:
        page, _ = read_checked(db.path, Pointer(*found[:3]))
    except UnreadableCaptureError as error:
        return Response.text(f"the capture is unreadable: {error}", status=500)
    headers = {"content-security-policy": SANDBOX, "x-content-type-options": "nosniff"}
    return Response(page.body, content_type=found[3] or "application/octet-stream", headers=headers)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/capture/(?P<database>[^/]+)/(?P<version>\d+(\.warc\.gz)?)$", capture),
        (r"^/-/file/(?P<database>[^/]+)/(?P<rowid>\d+)$", attachment_file),
    ]


def csv_for_excel(columns: list[str], rows: list[Any], request: Any, table: str | None, query_name: str | None) -> Any:
    """The rows shown, as a CSV that Excel opens as UTF-8 (it needs a byte-order mark to read
    Thai); `govarchive export --format csv --bom` writes every article."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[row[column] for column in columns] for row in rows])
    name = table or query_name or "query"
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


@hookimpl
def register_output_renderer() -> dict[str, Any]:
    return {"extension": "excel", "render": csv_for_excel}


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/static-govarchive/govarchive.css"]


@hookimpl
def extra_js_urls() -> list[str]:
    return ["/static-govarchive/govarchive.js"]
