"""The search query language, one for every door (CLI, datasette search page, table box).

    words           all must match (each anywhere: Thai words are found mid-sentence)
    "exact phrase"  the words in this order, as written
    a OR b          either
    -word, NOT word articles holding it are left out
    prefix*         a word beginning with prefix ranks first (every term also matches
                    inside longer words: that is how Thai, written without spaces, is found)
Punctuation around a word is ignored (`OTOP,` and `(OTOP)` are `OTOP`); Thai and Arabic
digits are equal (`๒๕๖๖` is `2566`); letter case is ignored. A query that cannot be
answered raises QueryError saying why, never an empty result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from archive.text import digit_variants, normalize_text

SYNTAX_HELP = (
    'words (all must match), "exact phrases", a OR b, -word or NOT word to leave out, prefix* '
    "(words beginning so first); punctuation around words is ignored, Thai and Arabic digits are equal"
)
TOKENS = re.compile(r'-?"[^"]*"|\S+')
# No archived text holds them, and FTS5 reads a NUL as the end of the query (found by hypothesis).
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


class QueryError(ValueError):
    """The query cannot be answered; the message says why and what to type instead."""


@dataclass(frozen=True)
class Term:
    text: str  # normalised: NFC, no invisible characters, whitespace collapsed
    prefix: bool = False

    @property
    def variants(self) -> list[str]:
        """As typed, with Arabic digits, with Thai digits."""
        return digit_variants(self.text)


@dataclass
class Query:
    """All groups must match (a group: any of its terms), no excluded term may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]


def parse(text: str) -> Query:
    text = CONTROL_CHARACTERS.sub(" ", normalize_text(text))
    if text.count('"') % 2:
        raise QueryError('a quote is not closed: put a " at the end of the phrase')
    query, pending_or, negate = Query(), False, False
    for token in TOKENS.findall(text):
        if token == "OR":
            if not query.groups or pending_or or negate:
                raise QueryError("OR needs a word on each side, as in: ยาเสพติด OR ยาบ้า")
            pending_or = True
            continue
        if token in ("NOT", "AND"):
            negate = negate or token == "NOT"
            continue
        excluded = negate or (token.startswith("-") and len(token) > 1)
        term = _term(token[1:] if token.startswith("-") and len(token) > 1 else token)
        negate = False
        if term is None:
            continue
        if excluded:
            if pending_or:
                raise QueryError("OR cannot join a word left out (-word or NOT word)")
            query.excluded.append(term)
        elif pending_or:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or = False
    if pending_or:
        raise QueryError("OR needs a word on each side, as in: ยาเสพติด OR ยาบ้า")
    if negate:
        raise QueryError("NOT needs a word after it")
    if not query.groups:
        raise QueryError(
            "nothing to find: give at least one word to search for"
            + (" (-word and NOT word only leave articles out)" if query.excluded else "")
        )
    return query


def _term(token: str) -> Term | None:
    """One word or "phrase" as a term; None for punctuation alone."""
    if token.startswith('"'):
        phrase = " ".join(token.strip('"').split())
        if not phrase:
            raise QueryError('an empty phrase (""): put words between the quotes')
        return Term(phrase)
    prefix = token.endswith("*")
    word = _strip_punctuation(token.rstrip("*"))
    return Term(word, prefix) if word else None


def _strip_punctuation(word: str) -> str:
    """Drop punctuation and symbols at either end (`(OTOP),` -> `OTOP`); inside a word they
    stay (`4.0`, `COVID-19`)."""
    start, end = 0, len(word)
    while start < end and _is_punctuation(word[start]):
        start += 1
    while end > start and _is_punctuation(word[end - 1]):
        end -= 1
    return word[start:end]


def _is_punctuation(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS"
