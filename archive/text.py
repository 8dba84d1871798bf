"""Text normalisation shared by what is archived and what is searched for.

Both sides must agree, or a query typed with a zero-width space (common in Thai text
copied from the web) misses an article that was stored without one.
"""

from __future__ import annotations

import unicodedata

# Zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize_text(text: str) -> str:
    """NFC, without the invisible characters that split Thai words in the index."""
    return unicodedata.normalize("NFC", text).translate(INVISIBLE)
