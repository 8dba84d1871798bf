"""Choose the right encoding for a page, Thai legacy encodings included.

Older Thai sites serve TIS-620 / windows-874 pages, often with a charset header that is
wrong (utf-8 or iso-8859-1 by server default) or missing. Scrapy believes the header; we
check it: an encoding is only kept if the body decodes under it without errors, and a
Western single-byte guess is replaced by windows-874 when the bytes read as Thai.
"""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

THAI = "cp874"  # windows-874, a superset of TIS-620
WESTERN_SINGLE_BYTE = {"cp1252", "latin_1", "iso8859-1"}
THAI_BYTES = range(0xA1, 0xFC)  # where windows-874 puts Thai letters, vowels and digits
IN_RUN_SHARE = 0.8  # Thai words are runs of such bytes; accented Latin letters stand alone


def decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def looks_thai(body: bytes) -> bool:
    """Whether the non-ASCII bytes read as Thai text in windows-874: mostly in runs."""
    thai = [i for i, byte in enumerate(body) if byte in THAI_BYTES]
    if not thai:
        return False
    positions = set(thai)
    in_runs = sum((i - 1 in positions) or (i + 1 in positions) for i in thai)
    return in_runs / len(thai) >= IN_RUN_SHARE


def choose_encoding(body: bytes, content_type: str | None = None) -> str:
    """The first of header, BOM, <meta charset>, UTF-8 under which the body decodes cleanly;
    windows-874 where the alternative is a Western single-byte reading of Thai bytes."""
    bom, _ = read_bom(body)
    candidates = [
        http_content_type_encoding(content_type) if content_type else None,
        resolve_encoding(bom) if bom else None,
        html_body_declared_encoding(body),
        "utf-8",
    ]
    for candidate in candidates:
        if not candidate or not decodes(body, candidate):
            continue
        if resolve_encoding(candidate) in WESTERN_SINGLE_BYTE and looks_thai(body):
            return THAI
        return candidate
    return THAI if looks_thai(body) else "utf-8"


def decode_html(body: bytes, content_type: str | None = None) -> str:
    return body.decode(choose_encoding(body, content_type), errors="replace")
