"""Text normalisation shared by what is archived and what is searched for.

Both sides must agree, or a query typed with a zero-width space (common in Thai text
copied from the web) misses an article that was stored without one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen.
INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
INVISIBLE = re.compile(f"[{INVISIBLE_CHARACTERS}]")


def normalize_text(text: str) -> str:
    """NFC, without the invisible characters that split Thai words in the index.

    Fast paths first: whole pages pass through here, and most are NFC with none of them (a
    substring test per character is 15x faster than the regular expression's search).
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return INVISIBLE.sub("", text) if any(c in text for c in INVISIBLE_CHARACTERS) else text


THAI_TO_ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
ARABIC_TO_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def digit_variants(term: str) -> list[str]:
    """A term as written, with Arabic digits, with Thai digits: pages use both for one year."""
    variants = [term, term.translate(THAI_TO_ARABIC_DIGITS), term.translate(ARABIC_TO_THAI_DIGITS)]
    return list(dict.fromkeys(variants))


BE_OFFSET = 543  # Buddhist Era year - Common Era year: 2566 is 2023


def common_era_year(year: int) -> int:
    """A four-digit year as the Common Era counts it: one past 2443 (CE 1900) is Buddhist Era."""
    return year - BE_OFFSET if year > BE_OFFSET + 1900 else year


def common_era_day(text: str) -> str:
    """YYYY-MM-DD in the Common or the Buddhist Era (2566-01-01) as a Common Era ISO day;
    ValueError for anything else."""
    year, _, rest = text.strip().partition("-")
    return date.fromisoformat(f"{common_era_year(int(year)):04d}-{rest}").isoformat()
