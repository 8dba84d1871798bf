"""Full-text search over the archive: one function behind the CLI and every datasette page.

Matching. The index is FTS5 trigram (see migrations.py): a term of 3+ characters is a
substring match, so Thai words are found mid-sentence and inside compounds. A term of two
characters is found through the trigrams that start with it (archive/short_terms.py); a single
character, which no index here holds, by a substring scan (`instr`), never dropped. The query
language is archive/query.py's.

Ranking. A match at word boundaries (archive/words.py: ICU's Thai word breaker) ranks above
a match inside another word (`ยา` alone above `ยา` in `พยายาม`); bm25, with title matches
weighing TITLE_WEIGHT times body matches, orders the rest. bm25 ranks every match, so for a
query with more than RANKED_MATCHES matches the newest RANKED_MATCHES are ranked, by bm25's
term-frequency part (docs/performance.md). Every match stays reachable: the total counts them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlite_utils import Database

from archive.query import Query, Term, parse

if TYPE_CHECKING:
    from archive.attachment_search import AttachmentHit
from archive.short_terms import PAIR, trigrams_starting
from archive.words import is_whole_word, starts_a_word, trim_to_words

RANKED_MATCHES = 1_000
WORD_AWARE_POOL = 200  # the best-ranked matches checked for whole words (ICU costs ~10 us a match)
WHOLE_WORDS_COUNTED = 2  # whole-word occurrences that raise an article, each above the last
TITLE_WEIGHT = 3.0  # bm25 weight of the title column against the body's 1.0
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants
# Matches are counted up to this many ("1,000+" beyond), and facets counted among them:
# counting every match of a common word in a million articles takes longer than the rest of
# the search (half a second for 170,000 matches; docs/performance.md).
COUNT_CAP = RANKED_MATCHES
HIGHLIGHT = ("[", "]")
SNIPPET_CHARS = 120  # about this much text around each match
SNIPPETS = 3  # at most, per hit
FACETS = ("site", "agency", "language", "published_year")
ARTICLE_TEXT = "a.title || ' ' || a.body"  # what a scan for a short term searches
IN_ROWIDS = "rowid in (select value from json_each(?))"  # the rowids bound as one JSON array


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    agency: str | None = None
    since: str | None = None  # YYYY-MM-DD, Common Era, inclusive
    until: str | None = None  # YYYY-MM-DD, Common Era, inclusive
    language: str | None = None


@dataclass(frozen=True)
class Hit:
    url: str
    title: str
    published: str | None
    site: str
    agency: str | None
    language: str | None
    whole_word: bool  # a term stands as a whole word (else only inside longer words)
    capture: int | None  # article_versions.id of the current version, for its WARC capture
    snippets: list[str] = field(default_factory=list)

    @property
    def snippet(self) -> str:
        return self.snippets[0] if self.snippets else ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "snippet": self.snippet}


@dataclass
class Results:
    """The hits shown (iterate over them), and how many articles match in all."""

    total: int  # every match, or COUNT_CAP when `capped` (more match)
    hits: list[Hit]
    capped: bool = False
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    attachments: list[AttachmentHit] = field(default_factory=list)  # files whose text matches
    attachments_total: int = 0

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "capped": self.capped,
            "hits": [hit.as_dict() for hit in self.hits],
            "facets": self.facets,
            "attachments_total": self.attachments_total,
            "attachments": [hit.as_dict() for hit in self.attachments],
        }


def search(
    db: Database,
    text: str,
    limit: int = 20,
    filters: Filters | None = None,
    facets: bool = False,
    marks: tuple[str, str] = HIGHLIGHT,
) -> Results:
    """The articles matching `text` (archive/query.py's language; QueryError if it cannot be
    answered), best first, with the total and, if asked, counts per facet; matches in the
    snippets are put between `marks`."""
    query = parse(text)
    matches = _matches(db, query, filters or Filters())
    pool, total = _ranked_pool(db, query, matches)
    ordered, whole_words = _word_aware(db, query, pool)
    hits = _hits(db, query, ordered[:limit], whole_words, marks)
    results = Results(min(total, COUNT_CAP), hits, total > COUNT_CAP)
    if facets:
        results.facets = _facets(db, matches)
    from archive.attachment_search import search_attachments  # it builds on this module

    results.attachments_total, results.attachments = search_attachments(db, query, filters or Filters(), limit, marks)
    return results


# -- which articles match ----------------------------------------------------------------
class Matches(NamedTuple):
    """`from ... where ...` selecting the matching articles (alias a), its parameters, and
    whether the FTS index drives it (else it is a scan)."""

    sql: str
    params: list[Any]
    indexed: bool


def _indexed(term: Term) -> bool:
    return len(term.text) >= PAIR


def _phrase(db: Database, term: Term) -> str:
    """One term as FTS5 phrases, one per digit form (a pair: one per trigram starting with
    it): no FTS syntax leaks from user input."""
    texts = [t for v in term.variants for t in (trigrams_starting(db, v) if len(v) == PAIR else [v])]
    forms = ['"' + text.replace('"', '""') + '"' for text in texts]
    return forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"


def fts_expression(db: Database, groups: Iterable[list[Term]], excluded: Iterable[Term] = ()) -> str:
    expression = " AND ".join("(" + " OR ".join(_phrase(db, t) for t in group) + ")" for group in groups)
    return expression + "".join(f" NOT {_phrase(db, t)}" for t in excluded)


def contains(term: Term, text: str = ARTICLE_TEXT) -> tuple[str, list[str]]:
    """A substring test of `text` (an SQL expression: an article's title and body) for one
    term, any digit form, any letter case."""
    if any(c.lower() != c.upper() for c in term.text):  # a cased script: compare lower-cased
        text, forms = f"lower({text})", [v.lower() for v in term.variants]
    else:
        forms = term.variants
    return "(" + " or ".join(f"instr({text}, ?) > 0" for _ in forms) + ")", forms


def _in_index(db: Database, terms: list[Term]) -> tuple[str, list[str]]:
    return "a.rowid in (select rowid from articles_fts where articles_fts match ?)", [fts_expression(db, [terms])]


def _matches(db: Database, query: Query, filters: Filters) -> Matches:
    indexed = [g for g in query.groups if all(_indexed(t) for t in g)]
    conditions: list[tuple[str, list[Any]]] = []
    for group in query.groups:
        if group in indexed:
            continue
        tests = [contains(t) if not _indexed(t) else _in_index(db, [t]) for t in group]
        conditions.append(("(" + " or ".join(sql for sql, _ in tests) + ")", [p for _, ps in tests for p in ps]))
    long_excluded = [t for t in query.excluded if _indexed(t)]
    for term in query.excluded:
        if not _indexed(term):
            sql, params = contains(term)
            conditions.append((f"not {sql}", params))
        elif not indexed:
            sql, params = _in_index(db, [term])
            conditions.append((f"not {sql}", params))
    conditions += filter_conditions(filters)
    where = "".join(f" and {sql}" for sql, _ in conditions)
    params = [p for _, ps in conditions for p in ps]
    if indexed:
        source = "from articles_fts join articles a on a.rowid = articles_fts.rowid where articles_fts match ?"
        return Matches(source + where, [fts_expression(db, indexed, long_excluded), *params], True)
    return Matches("from articles a where 1" + where, params, False)


def filter_conditions(filters: Filters) -> list[tuple[str, list[Any]]]:
    conditions: list[tuple[str, list[Any]]] = []
    for column, value in (("site", filters.site), ("agency", filters.agency), ("language", filters.language)):
        if value:
            conditions.append((f"a.{column} = ?", [value]))
    if filters.since:
        conditions.append(("a.published >= ?", [filters.since]))
    if filters.until and (until := date.fromisoformat(filters.until)) < date.max:  # no day after 9999-12-31
        conditions.append(("a.published < ?", [(until + timedelta(days=1)).isoformat()]))
    return conditions


def _facets(db: Database, matches: Matches) -> dict[str, list[tuple[str, int]]]:
    """Matches per value of each facet column (most first, at most 30), among the first
    COUNT_CAP matches: one pass over them."""
    columns = ", ".join(f"a.{column}" for column in FACETS)
    rows = db.execute(f"select {columns} {matches.sql} limit {COUNT_CAP}", matches.params).fetchall()
    counted = {column: Counter(row[n] for row in rows if row[n] is not None) for n, column in enumerate(FACETS)}
    return {
        column: sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:30] for column, counts in counted.items()
    }


# -- in which order ----------------------------------------------------------------------
def _ranked_pool(db: Database, query: Query, matches: Matches) -> tuple[list[int], int]:
    """Up to RANKED_MATCHES matching rowids, best first, and how many match (counted up to one
    past COUNT_CAP): by bm25 (title weighted) when they are that few; else, and for a term of
    one or two characters (bm25 would weigh the trigrams that find a pair, not the pair), the
    newest of them by term frequency."""
    if not matches.indexed:  # newest archived first: a common word stops the scan early
        sql = f"select a.rowid {matches.sql} order by a.rowid desc limit {COUNT_CAP + 1}"
        found = [rowid for (rowid,) in db.execute(sql, matches.params).fetchall()]
        return _by_term_frequency(db, found[:RANKED_MATCHES], query.terms), len(found)
    # FTS5 walks its index newest first for `order by articles_fts.rowid desc`, and stops early.
    sql = f"select articles_fts.rowid {matches.sql} order by articles_fts.rowid desc limit {COUNT_CAP + 1}"
    newest = [rowid for (rowid,) in db.execute(sql, matches.params).fetchall()]
    if len(newest) > RANKED_MATCHES or not all(len(t.text) > PAIR for t in query.terms):
        return _by_term_frequency(db, newest[:RANKED_MATCHES], query.terms), len(newest)
    sql = f"select articles_fts.rowid {matches.sql} order by bm25(articles_fts, {TITLE_WEIGHT}, 1.0)"
    return [rowid for (rowid,) in db.execute(sql, matches.params).fetchall()], len(newest)


def _by_term_frequency(db: Database, rowids: list[int], terms: list[Term]) -> list[int]:
    """rowids ordered by BM25's term-frequency part: occurrences of each term (any digit
    form, any letter case) in title (weighted) and body, saturating, against their length.
    Counted in Python: each mention of `body` in SQL would read its overflow pages again."""
    sql = f"select rowid, lower(title), lower(body) from articles where {IN_ROWIDS}"
    rows = db.execute(sql, [json.dumps(rowids)]).fetchall()
    if not rows:
        return []
    forms = [[v.lower() for v in term.variants] for term in terms]
    average = sum(len(body) for _, _, body in rows) / len(rows)

    def score(title: str, body: str) -> float:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(body) / average)
        counts = (sum(body.count(v) + TITLE_WEIGHT * title.count(v) for v in variants) for variants in forms)
        return sum(tf * (BM25_K1 + 1) / (tf + norm) for tf in counts)

    return [rowid for rowid, title, body in sorted(rows, key=lambda row: score(row[1], row[2]), reverse=True)]


def _word_aware(db: Database, query: Query, pool: list[int]) -> tuple[list[int], dict[int, int]]:
    """The best WORD_AWARE_POOL of the pool, articles holding a term as a whole word first, the
    more often the earlier (up to WHOLE_WORDS_COUNTED times), then in pool order (bm25); the
    rest of the pool after them. Also the counts, per rowid checked."""
    head = pool[:WORD_AWARE_POOL]
    rows = db.execute(f"select rowid, title, body from articles where {IN_ROWIDS}", [json.dumps(head)]).fetchall()
    counts = {rowid: _whole_words(f"{title}\n{body}", query.terms) for rowid, title, body in rows}
    return sorted(head, key=lambda rowid: -counts.get(rowid, 0)) + pool[WORD_AWARE_POOL:], counts


def _occurrences(text: str, term: Term) -> Iterable[tuple[int, int]]:
    """Where the term (any digit form) occurs, in any letter case as the index matches it
    (case-sensitive only where lower-casing would shift positions)."""
    folded = text.lower()
    if len(folded) != len(text):
        folded = text
    for variant in term.variants:
        needle = variant.lower() if folded is not text else variant
        at = folded.find(needle)
        while at >= 0:
            yield at, at + len(needle)
            at = folded.find(needle, at + 1)


def _is_word(text: str, start: int, end: int, term: Term) -> bool:
    return starts_a_word(text, start) if term.prefix else is_whole_word(text, start, end)


def _whole_words(text: str, terms: list[Term]) -> int:
    """Occurrences of the terms as whole words, counted up to WHOLE_WORDS_COUNTED."""
    count = 0
    for term in terms:
        for start, end in _occurrences(text, term):
            if _is_word(text, start, end, term):
                count += 1
                if count == WHOLE_WORDS_COUNTED:
                    return count
    return count


# -- what is shown -----------------------------------------------------------------------
def _hits(
    db: Database, query: Query, rowids: list[int], whole_words: dict[int, int], marks: tuple[str, str]
) -> list[Hit]:
    """The hits to show, with snippets; `whole_words` are the counts _word_aware took."""
    sql = f"""
        select a.rowid, a.url, a.title, a.published, a.site, a.agency, a.language, a.body,
               (select v.id from article_versions v where v.article_url = a.url and v.version = a.version)
        from articles a where a.{IN_ROWIDS}
    """
    found = {}
    for rowid, url, title, published, site, agency, language, body, capture in db.execute(sql, [json.dumps(rowids)]):
        whole = (whole_words[rowid] if rowid in whole_words else _whole_words(f"{title}\n{body}", query.terms)) > 0
        passages = snippets(body, query.terms, marks=marks)
        found[rowid] = Hit(url, title, published, site, agency, language, whole, capture, passages)
    return [found[rowid] for rowid in rowids if rowid in found]


def first_match(text: str, terms: list[Term]) -> int:
    """Where the first match is, a whole-word one if any (0 when none)."""
    spans = sorted({span for term in terms for span in _occurrences(text, term)})
    words = [span for span in spans if any(_is_word(text, *span, term) for term in terms)]
    return (words or spans or [(0, 0)])[0][0]


def snippets(body: str, terms: list[Term], count: int = SNIPPETS, marks: tuple[str, str] = HIGHLIGHT) -> list[str]:
    """Up to `count` passages of about SNIPPET_CHARS around matches (whole-word matches
    first), cut at word boundaries, every match in them marked with HIGHLIGHT."""
    spans = sorted({span for term in terms for span in _occurrences(body, term)})
    if not spans:
        return [body[: trim_to_words(body, 0, SNIPPET_CHARS)[1]] + ("…" if len(body) > SNIPPET_CHARS else "")]
    words = [span for span in spans if any(_is_word(body, *span, term) for term in terms)]
    passages: list[tuple[int, int]] = []
    for start, end in words + [s for s in spans if s not in words]:
        if len(passages) == count:
            break
        half = max(0, (SNIPPET_CHARS - (end - start)) // 2)
        window = trim_to_words(body, max(0, start - half), min(len(body), end + half))
        if not any(window[0] < right and left < window[1] for left, right in passages):  # no overlap
            passages.append(window)
    return [_marked(body, left, right, spans, marks) for left, right in sorted(passages)]


def _marked(body: str, left: int, right: int, spans: list[tuple[int, int]], marks: tuple[str, str]) -> str:
    out, at = [], left
    for start, end in spans:
        if start < at or end > right:
            continue
        out += [body[at:start], marks[0], body[start:end], marks[1]]
        at = end
    out.append(body[at:right])
    text = "".join(out).replace("\n\n", " ¶ ").replace("\n", " ").strip()
    return ("…" if left > 0 else "") + text + ("…" if right < len(body) else "")
