"""Full-text search over the archive, ranked by bm25, with highlighted snippets.

Ranking covers every match of a rarer word, and the newest RANKED_MATCHES matches of a word
found in more articles than that: the cost of bm25 grows with the matches, and for a common
word in a news archive the recent articles are the ones wanted (docs/performance.md).

The index is FTS5 trigram (see migrations.py): every query term of 3+ characters is a
substring match, so Thai words are found mid-sentence. Terms of 1-2 characters cannot use
a trigram index; they are matched by a substring scan instead of being dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from archive.text import digit_variants, normalize_text

TRIGRAM = 3
# No archived text holds them, and FTS5 reads a NUL as the end of the query (found by hypothesis).
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")
HIGHLIGHT = ("[", "]")
SNIPPET_TOKENS = 64  # the most FTS5 allows; with trigrams, about 64 characters
SHORT_SNIPPET_CHARS = 60
# bm25 ranks every match before LIMIT applies: for a word in most articles of a million-article
# archive that is hundreds of milliseconds. Ranking covers the newest this-many matches.
RANKED_MATCHES = 1_000
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants
FTS_JOIN = "articles_fts join articles on articles.rowid = articles_fts.rowid"
IN_ROWIDS = "rowid in (select value from json_each(?))"  # the rowids bound as one JSON array
HIT_COLUMNS = (
    "articles.url, articles.title, articles.published, articles.site, "
    f"snippet(articles_fts, 1, ?, ?, '…', {SNIPPET_TOKENS})"
)


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
    """Each term as a quoted phrase, all required: no FTS syntax leaks from user input.
    A term with digits matches them written in Thai or Arabic digits."""

    def phrase(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    def alternatives(term: str) -> str:
        variants = digit_variants(term)
        return phrase(term) if len(variants) == 1 else "(" + " OR ".join(map(phrase, variants)) + ")"

    return " AND ".join(alternatives(term) for term in terms)


def contains_sql(column: str, term: str) -> tuple[str, list[str]]:
    """A substring test for one term (any digit form), for terms too short for trigrams."""
    variants = digit_variants(term)
    return "(" + " or ".join(f"instr({column}, ?) > 0" for _ in variants) + ")", variants


def search(db: Database, query: str, limit: int = 20) -> list[Hit]:
    terms = CONTROL_CHARACTERS.sub(" ", normalize_text(query)).split()
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    if long_terms:
        return _ranked(db, long_terms, short_terms, limit)
    return _scan(db, short_terms, limit)


def _ranked(db: Database, long_terms: list[str], short_terms: list[str], limit: int) -> list[Hit]:
    """bm25 when the query has at most RANKED_MATCHES matches; else the newest of them,
    ranked by term frequency (bm25 without its IDF, which FTS5 computes from every match)."""
    tests = [contains_sql("articles.title || ' ' || articles.body", term) for term in short_terms]
    where = "".join(f" and {sql}" for sql, _ in tests)
    matches = f"from {FTS_JOIN} where articles_fts match ?{where}"
    match_params = [fts_query(long_terms), *(p for _, ps in tests for p in ps)]
    newest = db.execute(
        f"select articles_fts.rowid {matches} order by articles_fts.rowid desc limit {RANKED_MATCHES}", match_params
    ).fetchall()
    if len(newest) < RANKED_MATCHES:
        sql = f"select {HIT_COLUMNS} {matches} order by articles_fts.rank limit ?"
        return [Hit(*row) for row in db.execute(sql, [*HIGHLIGHT, *match_params, limit]).fetchall()]
    best = _by_term_frequency(db, [rowid for (rowid,) in newest], long_terms + short_terms)[:limit]
    rows = db.execute(
        f"select rowid, url, title, published, site, body from articles where {IN_ROWIDS}", [json.dumps(best)]
    ).fetchall()
    variants = digit_variants(long_terms[0])
    found = {
        rowid: Hit(url, title, published, site, _highlight(body, variants))
        for rowid, url, title, published, site, body in rows
    }
    return [found[rowid] for rowid in best if rowid in found]


def _by_term_frequency(db: Database, rowids: list[int], terms: list[str]) -> list[int]:
    """rowids ordered by BM25's term-frequency part: occurrences of each term (any digit
    form, any letter case) in title and body, saturating, against their length. Counted in
    Python: each mention of `body` in SQL would read its overflow pages again."""
    sql = f"select rowid, lower(title || ' ' || body) from articles where {IN_ROWIDS}"
    rows = db.execute(sql, [json.dumps(rowids)]).fetchall()
    if not rows:
        return []
    variants = [[v.lower() for v in digit_variants(term)] for term in terms]
    average = sum(len(text) for _, text in rows) / len(rows)

    def score(text: str) -> float:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(text) / average)
        counts = (sum(text.count(v) for v in forms) for forms in variants)
        return sum(tf * (BM25_K1 + 1) / (tf + norm) for tf in counts)

    return [rowid for rowid, text in sorted(rows, key=lambda row: score(row[1]), reverse=True)]


def _scan(db: Database, terms: list[str], limit: int) -> list[Hit]:
    """Short terms only: no index can help, so scan, newest first."""
    tests = [contains_sql("title || ' ' || body", term) for term in terms]
    where = " and ".join(sql for sql, _ in tests)
    sql = f"select url, title, published, site, body from articles where {where} order by published desc limit ?"
    hits = []
    for url, title, published, site, body in db.execute(sql, [*(p for _, ps in tests for p in ps), limit]).fetchall():
        hits.append(Hit(url, title, published, site, _highlight(body, digit_variants(terms[0]))))
    return hits


def _highlight(body: str, variants: list[str]) -> str:
    """About SHORT_SNIPPET_CHARS around the first variant found, in any letter case as the
    index matches (case-sensitive only where lowering would shift positions)."""
    lowered = body.lower()
    if len(lowered) == len(body):
        haystack, needles = lowered, [v.lower() for v in variants]
    else:
        haystack, needles = body, variants
    found = [(at, len(needle)) for needle in needles if (at := haystack.find(needle)) >= 0]
    if not found:
        return body[:SHORT_SNIPPET_CHARS] + "…"
    at, size = min(found)
    start = max(0, at - SHORT_SNIPPET_CHARS // 2)
    end = at + size + SHORT_SNIPPET_CHARS // 2
    marked = body[start:at] + HIGHLIGHT[0] + body[at : at + size] + HIGHLIGHT[1] + body[at + size : end]
    return ("…" if start else "") + marked + ("…" if end < len(body) else "")
