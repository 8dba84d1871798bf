"""The hostile site's pages that are built, not mirrored (tests/hostile_site.py serves them)."""

from __future__ import annotations

import os
import re
import zlib

BOMB_BYTES = 2**30  # what the gzip bomb inflates to
LINK_BOMB_LINKS = 15_000  # 0.6 s of CPU and 60 MB for trafilatura
NOVEL_PARAGRAPHS = 400  # of ~55 characters: more text than the hostile test lets an article store
# Links to articles and listing pages, where a site writes the visitor's session in.
SESSION_LINK = re.compile(rb'href="([^"]*/(?:news|page)/[^"]*/)"')


def in_windows_874(body: bytes) -> bytes:
    """A UTF-8 page's bytes in windows-874 (TIS-620), its header still saying UTF-8."""
    return body.decode().encode("cp874", "xmlcharrefreplace")


def gzip_bomb() -> bytes:
    """BOMB_BYTES of zeros, gzipped (about 1 MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(2**20)
    parts = [compressor.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    return b"".join([*parts, compressor.flush()])


def link_bomb(links: int = LINK_BOMB_LINKS) -> bytes:
    """An article page (its body class says so) whose extraction takes trafilatura long: its text
    output grows in time with the square of the links (60,000: about 4 s of CPU)."""
    anchors = "".join(f'<a href="/p{n}/">link {n}</a> ' for n in range(links))
    return html_page("single single-post", "Many links", []).replace(b"<ul></ul>", f"<p>{anchors}</p>".encode())


def novel(paragraphs: int = NOVEL_PARAGRAPHS) -> bytes:
    """An article page of ever more text, each paragraph its own (trafilatura keeps one copy of
    a repeated paragraph): a page of 10 MB so made extracts to 4 million characters."""
    text = "".join(f"<p>Paragraph {n} of a page that never ends, number {n * 7919}.</p>" for n in range(paragraphs))
    return html_page("single single-post", "A novel", []).replace(b"<ul></ul>", text.encode())


def html_page(body_class: str, title: str, links: list[str], next_url: str | None = None) -> bytes:
    items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    head = f'<link rel="next" href="{next_url}">' if next_url else ""
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f'<body class="{body_class}"><h1>{title}</h1><ul>{items}</ul></body></html>'
    ).encode()


def with_visit_ids(body: bytes) -> bytes:
    """The page with a new session identifier in each link to an article (PHP's `?PHPSESSID=`,
    with a share bar's tracking tags and a new `fbclid`) and to a listing page (Java's
    `;jsessionid=`), as sites write them for a visitor without the session's cookie: every
    visit names every page under a new address."""

    def add(link: re.Match[bytes]) -> bytes:
        href, token = link.group(1), os.urandom(16).hex().encode()
        if b"/page/" in href:
            return b'href="' + href + b";jsessionid=" + token.upper() + b'"'
        return b'href="' + href + b"?PHPSESSID=" + token + b"&amp;utm_source=home&amp;fbclid=" + token[::-1] + b'"'

    return SESSION_LINK.sub(add, body)
