"""A link's target as a web page's address, or nothing.

What a page names (its canonical link, its lead image, its files) is the site's markup, and a
template's mistake there (`javascript:`, a broken IPv6 host, a port past 65535) must neither
become an article's address nor stop its extraction: urllib raises on a broken host or port,
and the article was lost with a traceback. Plain Python: the extraction workers read it
without loading Scrapy.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit

WEB_SCHEMES = ("http", "https")  # the addresses a crawl requests and the archive keeps


def web_address(base: str, link: str | None) -> str | None:
    """`link` made absolute against `base`, if it is a web page's address."""
    if not link or not link.strip():
        return None
    try:
        address = urljoin(base, link.strip())
    except ValueError:
        return None
    return address if is_web_address(address) else None


def is_web_address(url: str) -> bool:
    """An absolute http(s) address with a host and a port that can be."""
    parts = readable(url)
    return parts is not None and parts.scheme in WEB_SCHEMES and bool(parts.hostname)


def readable(url: str) -> SplitResult | None:
    """urllib's reading of `url`, or None where urllib raises: a broken IPv6 host, a port past
    65535 or not a number (those raise only when the port is asked for)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018
    except ValueError:
        return None
    return parts
