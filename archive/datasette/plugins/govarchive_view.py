"""datasette plugin: archived articles shown readably, and always inert.

Archived text is untrusted: every value is escaped here before any markup of ours is
added, and only http(s) URLs become links.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from datasette import hookimpl
from markupsafe import Markup, escape

SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # what the `search` canned query marks matches with
LINK_COLUMNS = {"url", "source_url", "final_url", "image", "article_url"}


def safe_link(value: str) -> Markup | None:
    if urlsplit(value).scheme not in ("http", "https"):
        return None
    return Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(value)


def paragraphs(text: str) -> Markup:
    parts = [p for p in text.split("\n\n") if p.strip()]
    inner = Markup("").join(Markup("<p>{}</p>").format(p) for p in parts)
    return Markup('<div class="ga-body">{}</div>').format(inner)


def snippet(text: str) -> Markup:
    escaped = str(escape(text))
    return Markup(escaped.replace(SNIPPET_START, "<mark>").replace(SNIPPET_END, "</mark>"))


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if column == "version" and table == "articles" and "url" in row.keys():  # noqa: SIM118 - Row: `in` tests values
        path = datasette.urls.table(database, "article_versions") + "?article_url=" + quote(row["url"], safe="")
        return Markup('{} · <a href="{}">all versions</a>').format(value, path)
    if not isinstance(value, str):
        return None
    if column == "body" and table in ("articles", "article_versions"):
        return paragraphs(value)
    if column == "snippet":
        return snippet(value)
    if column in LINK_COLUMNS and value:
        return safe_link(value)
    return None


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/static-govarchive/govarchive.css"]


@hookimpl
def extra_js_urls() -> list[str]:
    return ["/static-govarchive/govarchive.js"]
