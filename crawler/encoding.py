"""Choose the right encoding for a page, Thai legacy encodings included.

Older Thai sites serve TIS-620 / windows-874 pages, often with a charset header that is
wrong (utf-8 or iso-8859-1 by server default) or missing. Scrapy believes the header; we
check it: an encoding is only kept if the body decodes under it without errors, and a
Western single-byte guess is replaced by windows-874 when the bytes read as Thai. A label
naming an encoding that is not ASCII-compatible (UTF-16, EBCDIC) is kept only if the page's
markup reads as markup under it: such encodings decode almost any bytes without an error.

A UTF-8 page with a few bad bytes (a broken editor, a truncated copy-paste) decodes under no
candidate cleanly, yet it is UTF-8: almost all of its non-ASCII bytes form valid UTF-8
characters, which Thai windows-874 text does only by accident. The share of bytes that do
not decides (MAX_INVALID_UTF8_SHARE, chosen on a measured corpus: `python -m bench.encodings`,
README, Reliability); the bad bytes are then replaced, not the page re-read as Thai.
"""

from __future__ import annotations

import functools
import re

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

THAI = "cp874"  # windows-874, a superset of TIS-620
WESTERN_SINGLE_BYTE = {"cp1252", "latin_1", "iso8859-1"}
THAI_BYTES = range(0xA1, 0xFC)  # where windows-874 puts Thai letters, vowels and digits
IN_RUN_SHARE = 0.8  # Thai words are runs of such bytes; accented Latin letters stand alone
# Invalid bytes / (invalid bytes + valid multi-byte characters) when read as UTF-8: at or
# below this, the page is UTF-8 with a few bad bytes (bench/encodings.py measures the margin).
MAX_INVALID_UTF8_SHARE = 0.4
MARKUP_SAMPLE = b'<meta charset="utf-8"></head>'  # ASCII as pages write it
ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, under surrogateescape


def decoded(body: bytes, encoding: str) -> str | None:
    """The body read under `encoding`, or None where it does not read cleanly."""
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def reads_as_markup(body: bytes, text: str, encoding: str) -> bool:
    """Whether a reading keeps the page's tags. Under UTF-16 or EBCDIC a UTF-8 page (labelled
    so by a `<meta>` some editors write, or by a server's header) decodes without an error into
    CJK or accented letters, and its article was lost as a page without a title. A real UTF-16
    page keeps its `<`s (a few more 0x3C bytes are halves of other characters); an EBCDIC
    one reads more `<`s than it has 0x3C bytes."""
    return _ascii_compatible(encoding) or 2 * text.count("<") >= body.count(b"<")


@functools.lru_cache
def _ascii_compatible(encoding: str) -> bool:
    """Whether ASCII markup is itself under `encoding`: no check is needed where it is."""
    return MARKUP_SAMPLE.decode(encoding, "replace") == MARKUP_SAMPLE.decode("ascii")


def looks_thai(body: bytes) -> bool:
    """Whether the non-ASCII bytes read as Thai text in windows-874: mostly in runs."""
    thai = [i for i, byte in enumerate(body) if byte in THAI_BYTES]
    if not thai:
        return False
    positions = set(thai)
    in_runs = sum((i - 1 in positions) or (i + 1 in positions) for i in thai)
    return in_runs / len(thai) >= IN_RUN_SHARE


def invalid_utf8_share(body: bytes) -> float:
    """Of the body's non-ASCII content read as UTF-8, the share that is invalid bytes."""
    text = body.decode("utf-8", errors="surrogateescape")
    invalid = len(ESCAPED_BYTE.findall(text))
    high_bytes = len(body.translate(None, bytes(range(128))))
    multibyte_chars = len(text) - (len(body) - high_bytes) - invalid
    return invalid / (invalid + multibyte_chars) if invalid else 0.0


def choose_encoding(body: bytes, content_type: str | None = None) -> str:
    """The first of header, BOM, <meta charset>, UTF-8 under which the body decodes cleanly;
    windows-874 where the alternative is a Western single-byte reading of Thai bytes; UTF-8
    (bad bytes replaced) when only a few bytes keep it from decoding cleanly."""
    return read_body(body, content_type)[0]


def read_body(body: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    """choose_encoding's encoding, and the body read under it when it reads cleanly (else
    None): the check decodes the page once, and its reading need not be thrown away."""
    bom, _ = read_bom(body)
    candidates = [
        http_content_type_encoding(content_type) if content_type else None,
        resolve_encoding(bom) if bom else None,
        html_body_declared_encoding(body),
        "utf-8",
    ]
    for candidate in candidates:
        text = decoded(body, candidate) if candidate else None
        if candidate is None or text is None or not reads_as_markup(body, text, candidate):
            continue
        if resolve_encoding(candidate) in WESTERN_SINGLE_BYTE and looks_thai(body):
            return THAI, None
        return candidate, text
    if invalid_utf8_share(body) <= MAX_INVALID_UTF8_SHARE:
        return "utf-8", None
    return (THAI if looks_thai(body) else "utf-8"), None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """The page as text under choose_encoding's encoding (bad bytes replaced), decoded once
    where it reads cleanly."""
    encoding, text = read_body(body, content_type)
    return text if text is not None else body.decode(encoding, errors="replace")
