"""datasette plugin: the archive's search page, the same search as `govarchive search`.

`/DB/-/search?q=...` (and `.json`) runs archive.search.search with its query language, its
word-aware ranking and its filters, shown as facets. The articles table's search box and
`articles.json?_search=` are sent there, so every door opens on one search: datasette's own
`_search` would hand the query to FTS5 as it is, finding no 1-2 character word and knowing
none of the syntax. Archived text is escaped before the match marks become <mark>.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.browse import CAPTURE_ROUTE
from archive.query import SYNTAX_HELP, QueryError
from archive.search import RANKED_MATCHES, Filters, search
from archive.text import common_era_day

MARKS = ("\x02", "\x03")  # no archived text holds them (control characters are dropped)
FILTERS = {"site": "site", "agency": "agency", "since": "since", "until": "until", "lang": "language"}
SEARCH_LIMIT = 50  # hits on a page; ?limit= asks for up to RANKED_MATCHES


def highlight(passage: str) -> Markup:
    escaped = str(escape(passage))
    return Markup(escaped.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>"))


def _filters(args: Any) -> tuple[dict[str, str], Filters]:
    """The page's filters as given, and as the search takes them (days in either era)."""
    given = {name: args.get(name, "").strip() for name in FILTERS}
    values: dict[str, str | None] = {field: given[name] or None for name, field in FILTERS.items()}
    for name in ("since", "until"):
        if values[name]:
            try:
                values[name] = common_era_day(str(values[name]))
            except ValueError as error:
                raise QueryError(
                    f"{name}: {given[name]!r} is not a day: use YYYY-MM-DD (2566-01-01 or 2023-01-01)"
                ) from error
    return given, Filters(**values)


async def search_page(request: Any, datasette: Any) -> Response:
    """The archive's search: archive.search.search, the CLI's, with its query language; the
    filters as facets. `.json` gives the same results as JSON."""
    from sqlite_utils import Database

    name = request.url_vars["database"]
    db = datasette.get_database(name)
    q = request.args.get("q", "").strip()
    results, error = None, None
    limit = int(request.args["limit"]) if request.args.get("limit", "").isdigit() else SEARCH_LIMIT
    limit = max(1, min(limit, RANKED_MATCHES))
    try:
        given, filters = _filters(request.args)
        if q:
            results = await db.execute_fn(
                lambda conn: search(Database(conn), q, limit, filters, facets=True, marks=MARKS)
            )
    except QueryError as problem:
        given, error = {n: request.args.get(n, "") for n in FILTERS}, str(problem)
    if request.url_vars.get("format") == "json":
        body = {"query": q, "error": error, **(results.as_dict() if results else {"total": 0, "hits": []})}
        return Response.json(body, status=400 if error else 200)
    hits = results.hits if results else []
    files = results.attachments if results else []
    context = {
        "database": name,
        "q": q,
        "filters": given,
        "active": [(n, v) for n, v in given.items() if v],
        "error": error,
        "syntax": SYNTAX_HELP,
        "results": results,
        "row_urls": [datasette.urls.row(name, "articles", tilde_encode(h.url)) for h in hits],
        "file_urls": [datasette.urls.row(name, "attachments", tilde_encode(f.url)) for f in files],
        "article_urls": [datasette.urls.row(name, "articles", tilde_encode(f.article_url or "")) for f in files],
        "facet_links": _facet_links(q, given, results.facets) if results else {},
        "capture_path": lambda version: datasette.urls.path(
            CAPTURE_ROUTE.format(database=quote(name), version=version)
        ),
        "highlight": highlight,
    }
    return Response.html(await datasette.render_template("govarchive_search.html", context, request=request))


def _facet_links(q: str, given: dict[str, str], facets: dict[str, list[tuple[str, int]]]) -> dict[str, dict[str, str]]:
    """Each facet value as a link to the same search narrowed to it."""
    argument = {"site": "site", "agency": "agency", "language": "lang", "published_year": None}
    links: dict[str, dict[str, str]] = {}
    for facet, values in facets.items():
        links[facet] = {}
        for value, _ in values:
            params = {"q": q, **{k: v for k, v in given.items() if v}}
            if argument[facet]:
                params[str(argument[facet])] = str(value)
            else:
                params["since"], params["until"] = f"{value}-01-01", f"{value}-12-31"
            links[facet][value] = "?" + urlencode(params)
    return links


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/(?P<database>[^/]+)/-/search(\.(?P<format>json))?$", search_page)]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """The articles table's search box (and `articles.json?_search=`) goes to the search page,
    so every door opens on one search: datasette's own `_search` would pass the query to FTS5
    as it is, missing 1-2 character words and this query language."""

    def wrap(app: Any) -> Any:
        async def redirect_table_search(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                target = _search_redirect(scope)
                if target is not None:
                    await send(
                        {"type": "http.response.start", "status": 302, "headers": [[b"location", target.encode()]]}
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)

        return redirect_table_search

    return wrap


def _search_redirect(scope: dict[str, Any]) -> str | None:
    parts = scope["path"].strip("/").split("/")
    if len(parts) != 2 or parts[1] not in ("articles", "articles.json"):
        return None
    args = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    if not args.get("_search", [""])[0].strip():
        return None
    target = f"/{parts[0]}/-/search" + (".json" if parts[1].endswith(".json") else "")
    return target + "?" + urlencode({"q": args["_search"][0]})
