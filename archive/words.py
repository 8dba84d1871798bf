"""Where words begin and end, Thai included, for ranking and for snippets.

Thai is written without spaces, so a substring match may sit inside another word (`ยา`,
medicine, inside `พยายาม`, effort). ICU's dictionary-based Thai word breaker (PyICU) says
where the words are: about 5 microseconds for the few dozen characters around a match. ICU
splits finer than a reader: it cuts `ยาเสพติด` (narcotics) into `ยา|เสพติด`. So a match is
a whole word only if it also does not join the word before or after it into a dictionary
word (PyThaiNLP's 62,000-word list). Measured on 295 Thai news articles: of the top 10 hits
of 15 short words, 0.66 hold the word as a whole word (PyThaiNLP newmm's judgement) when
ranked by ICU's boundaries alone, 0.92 with the dictionary check (docs/thai-search.md).
Other scripts have spaces and punctuation between words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import icu

CONTEXT = 24  # characters on each side of a match given to the word breaker
THAI = range(0x0E00, 0x0E80)
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def is_thai(text: str) -> bool:
    return any(ord(c) in THAI for c in text)


@functools.cache
def _dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


@functools.cache
def _breaker() -> icu.BreakIterator:
    return icu.BreakIterator.createWordInstance(icu.Locale("th"))


def boundaries(text: str) -> set[int]:
    """Word boundaries of `text` (ICU counts UTF-16 units: astral characters shift them, so
    text holding any is split at spaces only)."""
    if ASTRAL.search(text):
        return (
            {0, len(text)}
            | {i for i, c in enumerate(text) if c.isspace()}
            | {i + 1 for i, c in enumerate(text) if c.isspace()}
        )
    breaker = _breaker()
    breaker.setText(text)
    return {0, *breaker}


def is_whole_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins and ends at word boundaries."""
    if not (is_thai(text[start:end]) or _thai_at(text, start - 1) or _thai_at(text, end)):
        return not (_is_word_char(text, start - 1) or _is_word_char(text, end))
    left = max(0, start - CONTEXT)
    window = text[left : end + CONTEXT]
    cuts = sorted(boundaries(window))
    first, last = start - left, end - left
    if first not in cuts or last not in cuts:
        return False
    before = window[cuts[cuts.index(first) - 1] : first] if first > 0 else ""
    after = window[last : cuts[cuts.index(last) + 1]] if last < len(window) else ""
    word, dictionary = window[first:last], _dictionary()
    return not ((before and before + word in dictionary) or (after and word + after in dictionary))


def starts_a_word(text: str, start: int) -> bool:
    if not (is_thai(text[start : start + 1]) or _thai_at(text, start - 1)):
        return not _is_word_char(text, start - 1)
    left = max(0, start - CONTEXT)
    return start - left in boundaries(text[left : start + CONTEXT])


def _thai_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and ord(text[index]) in THAI


def _is_word_char(text: str, index: int) -> bool:
    if not 0 <= index < len(text):
        return False
    return unicodedata.category(text[index])[0] in "LMN"


def trim_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened or narrowed to the nearest word boundaries inside the text, so a
    snippet neither begins nor ends in the middle of a word."""
    left = max(0, start - CONTEXT)
    cuts = sorted(boundaries(text[left : end + CONTEXT]))
    absolute = [left + cut for cut in cuts]
    begin = next((cut for cut in absolute if cut >= start), start)
    finish = max((cut for cut in absolute if cut <= end), default=end)
    return (begin, finish) if begin < finish else (start, end)
