"""Text normalisation shared by what is archived and what is searched for.

Both sides must agree, or a query typed with a zero-width space (common in Thai text
copied from the web) misses an article that was stored without one.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen.
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_text(text: str) -> str:
    """NFC, without the invisible characters that split Thai words in the index.

    Fast paths first: whole pages pass through here, and most are NFC with none of them.
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return INVISIBLE.sub("", text) if INVISIBLE.search(text) else text


THAI_TO_ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
ARABIC_TO_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def digit_variants(term: str) -> list[str]:
    """A term as written, with Arabic digits, with Thai digits: pages use both for one year."""
    variants = [term, term.translate(THAI_TO_ARABIC_DIGITS), term.translate(ARABIC_TO_THAI_DIGITS)]
    return list(dict.fromkeys(variants))
