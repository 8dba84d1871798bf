"""A page's bytes made readable to libxml2 as a browser reads them, before lxml parses them.

Two ways real pages lose text in libxml2 and not in a browser:

- Characters XML does not allow (all of C0 but tab, newline, carriage return), written as
  such or as numeric references the parser turns into them (&#1; &#xFFFE;): a page holding
  one made lxml raise deep inside trafilatura or htmldate (found by hypothesis). Removed from
  the UTF-8 bytes: a C0 byte is never part of a longer sequence, and bytes.translate finds them
  in a tenth of the time a regular expression over the text takes.
- `</body>` or `</html>` before the end of the page, as a theme's header template that closes
  the document leaves them: libxml2 drops all that follows `</html>` and puts what follows
  `</body>` outside the body, where a browser reads on into the body (HTML's "after body"
  mode). A real blog post of ../shared/corpus lost its whole text so. The end tags are removed
  (about 75 microseconds for 100 KB); the parser closes the document at its end.

And one it stops at when asked: nesting deeper than libxml2 allows (2,048 elements), which
old hand-written pages reach by opening a `<font>` on every line and closing none, and
templates by leaving a `<div>` open in a loop. Inline formatting tags hold no text of their
own, so `flattened` removes them all; block containers are kept where they are closed (the
cleanup rules find boilerplate by their classes), and `unclosed_removed` drops only those a
page opens and never closes. Each is tried in turn (`shallower`) in extraction when the parser
says it stopped, and in a listing (parsed by parsel, which does not say) when the tags left
open are that many.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the extraction workers do not load Scrapy: a fifth of a second of CPU each start
    from scrapy.http import TextResponse

XML_INCOMPATIBLE = bytes(c for c in range(0x20) if c not in b"\t\n\r")
NUMERIC_REFERENCE = re.compile(rb"&#(x[0-9a-f]+|[0-9]+);?", re.IGNORECASE)
MAX_REFERENCE_DIGITS = 7  # U+10FFFF is 1114111
XML_CHARACTER_RANGES = ((0x9, 0xA), (0xD, 0xD), (0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
DOCUMENT_END = re.compile(rb"</(?:[bB][oO][dD][yY]|[hH][tT][mM][lL])\s*>")  # faster than IGNORECASE
START_TAG = re.compile(rb"<[a-zA-Z]")
INLINE_TAG = re.compile(rb"</?(?:font|b|i|u|s|em|strong|span|small|big|center|tt)(?=[\s/>])[^>]*>", re.IGNORECASE)
# Tags that group blocks and hold no text of their own; the name is the first group.
CONTAINER_TAG = re.compile(
    rb"<(/?)(div|section|article|aside|nav|header|footer|main|blockquote|figure|form)(?=[\s/>])[^>]*>", re.IGNORECASE
)
MAX_OPEN_TAGS = 1024  # of one kind: half libxml2's depth limit (huge_tree), the rest for the others


def readable(html: bytes) -> bytes:
    """The page's bytes (UTF-8, or any encoding where ASCII is ASCII) without what libxml2
    would refuse or stop at."""
    html = DOCUMENT_END.sub(b"", html.translate(None, XML_INCOMPATIBLE))
    return NUMERIC_REFERENCE.sub(_xml_reference, html) if b"&#" in html else html


def readable_response(response: TextResponse) -> TextResponse:
    """The response itself, or, when it is closed early or nested too deep, a copy with its
    body `readable`, `flattened` or `unclosed_removed`: what a listing's links are read from
    (the response as fetched is what the archive keeps, and a page's own closing tags at its
    end need no second parse). Bytes of an encoding where ASCII is not ASCII (UTF-16) are left
    alone."""
    if "<".encode(response.encoding, errors="replace") != b"<":
        return response
    body = readable(response.body) if closed_early(response.body) else response.body
    body = flattened(body) if open_tags(body, INLINE_TAG) > MAX_OPEN_TAGS else body
    body = unclosed_removed(body) if open_tags(body, CONTAINER_TAG) > MAX_OPEN_TAGS else body
    return response if body is response.body else response.replace(body=body)


def flattened(html: bytes) -> bytes:
    """The page without inline formatting tags (`<font>`, `<b>`, `<span>`...): what is left
    of a page nested past libxml2's limit by tags opened and never closed."""
    return INLINE_TAG.sub(b"", html)


def unclosed_removed(html: bytes) -> bytes:
    """The page without the block containers it opens and never closes. An end tag closes the
    latest of its name still open, as a browser's parser does; what is left open at the end
    goes (a self-closed `<div/>` is none)."""
    still_open: dict[bytes, list[tuple[int, int]]] = {}
    for tag in CONTAINER_TAG.finditer(html):
        opened = still_open.setdefault(tag[2].lower(), [])
        if tag[1]:
            if opened:
                opened.pop()
        elif not tag[0].endswith(b"/>"):
            opened.append(tag.span())
    cuts = sorted(span for spans in still_open.values() for span in spans)
    kept, start = [], 0
    for begin, end in cuts:
        kept.append(html[start:begin])
        start = end
    return b"".join([*kept, html[start:]])


def shallower(html: bytes) -> Iterator[bytes]:
    """Readings of a page nested too deep, each less deep than the one before."""
    html = flattened(html)
    yield html
    yield unclosed_removed(html)


def open_tags(html: bytes, kind: re.Pattern[bytes]) -> int:
    """Tags of one kind opened and never closed."""
    tags = [tag.group(0) for tag in kind.finditer(html)]
    closed = sum(tag.startswith(b"</") for tag in tags)
    return len(tags) - 2 * closed


def closed_early(html: bytes) -> bool:
    """Whether an element starts after the page's first `</body>` or `</html>`."""
    end = DOCUMENT_END.search(html)
    return end is not None and START_TAG.search(html, end.end()) is not None


def _xml_reference(match: re.Match[bytes]) -> bytes:
    digits = match[1].lstrip(b"0xX") or b"0"
    if len(digits) > MAX_REFERENCE_DIGITS:  # past U+10FFFF (and int() refuses 4,300 digits)
        return b""
    code = int(digits, 16) if match[1][:1] in b"xX" else int(digits)
    return match[0] if any(low <= code <= high for low, high in XML_CHARACTER_RANGES) else b""
