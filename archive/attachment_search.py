"""The same search over the text of attached files (PDFs, scans read by OCR, Office files): a
hit names the document, the page the first match is on, and an article that holds it.

Terms of three characters or more go through `attachments_fts` (trigram, as `articles_fts`);
a query with a shorter term scans the text (`instr`), as archive/search.py does for articles.
Filters apply through the articles that hold a file: a file is from a site, an agency, a
language and a time when an article holding it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from archive.query import Query
from archive.search import COUNT_CAP, Filters, contains, filter_conditions, first_match, fts_expression, snippets
from archive.short_terms import PAIR

PAGE_BREAK = "\f"  # between the pages of attachments.text
TEXT = "t.text"  # what a scan for a short term searches


@dataclass(frozen=True)
class AttachmentHit:
    url: str  # the file
    media_type: str
    page: int  # where the first match is, from 1
    article_url: str | None  # an article holding the file (the newest)
    article_title: str | None
    snippet: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def search_attachments(
    db: Database, query: Query, filters: Filters, limit: int, marks: tuple[str, str]
) -> tuple[int, list[AttachmentHit]]:
    """How many files match (counted up to COUNT_CAP), and the best `limit` with their page."""
    where, params, indexed = _conditions(db, query, filters)
    if indexed:
        source = "from attachments_fts f join attachments t on t.rowid = f.rowid where attachments_fts match ?"
        order = "order by bm25(attachments_fts)"
    else:
        source, order = "from attachments t where 1", "order by t.rowid desc"
    sql = f"select t.url, t.media_type, t.text {source}{where} {order} limit {COUNT_CAP + 1}"
    rows = db.execute(sql, params).fetchall()
    hits = []
    for url, media_type, text in rows[:limit]:
        at = first_match(text, query.terms)
        page = text.count(PAGE_BREAK, 0, at) + 1
        page_text = text.split(PAGE_BREAK)[page - 1]
        article = db.execute(
            "select a.url, a.title from article_attachments l join articles a on a.url = l.article_url "
            "where l.attachment_url = ? order by a.published desc limit 1",
            [url],
        ).fetchone() or (None, None)
        passage = snippets(page_text, query.terms, count=1, marks=marks)[0]
        hits.append(AttachmentHit(url, media_type, page, article[0], article[1], passage))
    return min(len(rows), COUNT_CAP), hits


def _conditions(db: Database, query: Query, filters: Filters) -> tuple[str, list[Any], bool]:
    """` and ...` conditions over attachments `t`, their parameters, and whether the FTS index
    drives the search (its MATCH expression comes first in the parameters)."""
    indexed = all(len(term.text) > PAIR for term in [*query.terms, *query.excluded])
    conditions: list[tuple[str, list[Any]]] = []
    params: list[Any] = []
    if indexed:  # pairs are found through the articles' index only (archive/short_terms.py)
        params.append(fts_expression(db, query.groups, query.excluded))
    else:
        for group in query.groups:
            tests = [contains(t, TEXT) for t in group]
            conditions.append(("(" + " or ".join(sql for sql, _ in tests) + ")", [p for _, ps in tests for p in ps]))
        for term in query.excluded:
            sql, forms = contains(term, TEXT)
            conditions.append((f"not {sql}", forms))
    conditions += _filters(filters)
    return "".join(f" and {sql}" for sql, _ in conditions), params + [p for _, ps in conditions for p in ps], indexed


def _filters(filters: Filters) -> list[tuple[str, list[Any]]]:
    """A file matches the filters when an article holding it does (archive/search.py's)."""
    held = filter_conditions(filters)
    if not held:
        return []
    sql = " and ".join(s for s, _ in held)
    exists = (
        "exists (select 1 from article_attachments l join articles a on a.url = l.article_url "
        f"where l.attachment_url = t.url and {sql})"
    )
    return [(exists, [p for _, ps in held for p in ps])]
