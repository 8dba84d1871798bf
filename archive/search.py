"""Full-text search over the archive, ranked by bm25, with highlighted snippets.

The index is FTS5 trigram (see migrations.py): every query term of 3+ characters is a
substring match, so Thai words are found mid-sentence. Terms of 1-2 characters cannot use
a trigram index; they are matched by a substring scan instead of being dropped silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from archive.text import normalize_text

TRIGRAM = 3
HIGHLIGHT = ("[", "]")
SNIPPET_TOKENS = 64  # the most FTS5 allows; with trigrams, about 64 characters
SHORT_SNIPPET_CHARS = 60


@dataclass(frozen=True)
class Hit:
    url: str
    title: str
    published: str | None
    site: str
    snippet: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fts_query(terms: list[str]) -> str:
    """Each term as a quoted phrase, all required: no FTS syntax leaks from user input."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search(db: Database, query: str, limit: int = 20) -> list[Hit]:
    terms = normalize_text(query).split()
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    if long_terms:
        return _ranked(db, long_terms, short_terms, limit)
    return _scan(db, short_terms, limit)


def _ranked(db: Database, long_terms: list[str], short_terms: list[str], limit: int) -> list[Hit]:
    where = "".join(" and instr(articles.title || ' ' || articles.body, ?) > 0" for _ in short_terms)
    sql = f"""
        select articles.url, articles.title, articles.published, articles.site,
               snippet(articles_fts, 1, ?, ?, '…', {SNIPPET_TOKENS}) as snippet
        from articles_fts join articles on articles.rowid = articles_fts.rowid
        where articles_fts match ?{where}
        order by articles_fts.rank
        limit ?
    """
    params = [*HIGHLIGHT, fts_query(long_terms), *short_terms, limit]
    return [Hit(*row) for row in db.execute(sql, params).fetchall()]


def _scan(db: Database, terms: list[str], limit: int) -> list[Hit]:
    where = " and ".join("instr(title || ' ' || body, ?) > 0" for _ in terms)
    sql = f"select url, title, published, site, body from articles where {where} order by published desc limit ?"
    hits = []
    for url, title, published, site, body in db.execute(sql, [*terms, limit]).fetchall():
        hits.append(Hit(url, title, published, site, _highlight(body, terms[0])))
    return hits


def _highlight(body: str, term: str) -> str:
    at = body.find(term)
    if at < 0:
        return body[:SHORT_SNIPPET_CHARS] + "…"
    start = max(0, at - SHORT_SNIPPET_CHARS // 2)
    end = at + len(term) + SHORT_SNIPPET_CHARS // 2
    marked = body[start:at] + HIGHLIGHT[0] + term + HIGHLIGHT[1] + body[at + len(term) : end]
    return ("…" if start else "") + marked + ("…" if end < len(body) else "")
