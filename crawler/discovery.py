"""What each discovery route's documents name: the pages (with their sitemap lastmod) in a
sitemap, a feed, a page of the WordPress REST API, a listing.

Reading only: which of these a spider asks for, and what it does with what they name, is
the spider's (crawler/spiders/base.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from w3lib.encoding import resolve_encoding

from crawler import markup
from crawler.encoding import read_body
from crawler.page_metadata import read_json
from crawler.visit_ids import without_visit_ids

ROUTES = ("sitemap", "feed", "api", "listings")
WP_API_POSTS = "wp-json/wp/v2/posts?per_page=100&page={page}"
# Where a sitemap lives when robots.txt names none: sitemaps.org's place, WordPress core's
# (since 5.5) and Yoast's and Rank Math's index. Tried only then.
USUAL_SITEMAPS = ("sitemap.xml", "wp-sitemap.xml", "sitemap_index.xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
ANNOUNCED_FEEDS = ", ".join(f'link[rel="alternate"][type="{t}"]::attr(href)' for t in FEED_TYPES)
# Never archive targets: admin, login, feeds, comment replies, search, API, uploads; print
# views and mail forms (Joomla's bare template, tmpl=component): a print view is the post again.
DENY = (
    r"/wp-(admin|login|json|content|includes)",
    r"/feed/?",
    r"[?&](replytocom|s|share|print|tmpl)=",
    r"/xmlrpc\.php",
    r"/component/mailto/|option=com_mailto",
)
PAGE_NUMBER = re.compile(r"/page/\d+/?$|[?&]paged?=\d+")
PAGINATION = ", ".join(('link[rel="next"]::attr(href)', 'a[rel="next"]::attr(href)', "a.next::attr(href)"))
ANCHOR = re.compile(rb"<a[\s>]", re.IGNORECASE)
# Where an XML or JSON document begins, looked for in the first DOCUMENT_START_WITHIN bytes or
# characters of a body: past the PHP notices a site that shows its errors prints before it.
XML_START = re.compile(rb"<\?xml\b|<(?:urlset|sitemapindex|rss|feed|rdf:RDF)\b")
JSON_START = re.compile(r"^[\[{]", re.MULTILINE)  # each notice ends its line
DOCUMENT_START_WITHIN = 64 * 1024
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# A sitemap of at least this many pages that gives them all one lastmod (the time it was
# written: some CMSs date every entry so) says nothing of what changed: believed, it had every
# known article fetched again on every run. Its lastmods are dropped.
ONE_LASTMOD_ENTRIES = 3
# The encoding an XML declaration names (after a UTF-8 byte order mark, if any), as lxml reads it.
XML_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class SitemapEntries:
    index: bool  # a sitemap index: its locations are sitemaps, not pages
    locations: list[tuple[str, str | None]]  # (location, lastmod), empty locations left out
    cut: bool  # it had more entries than those read


def sitemap_entries(body: bytes, max_size: int, max_entries: int) -> SitemapEntries:
    """A sitemap, gzipped (a .xml.gz file: a Content-Encoding, Scrapy has already undone) or
    not, its first `max_entries` entries, read from where the document begins in the encoding
    its bytes are in. Raises scrapy's _DecompressionMaxSizeExceeded past
    `max_size`, and lxml's or gzip's errors on a file that is not one."""
    xml = gunzip(body, max_size=max_size) if body[:2] == b"\x1f\x8b" else body
    sitemap = Sitemap(in_its_encoding(from_document_start(xml)))
    entries = [(entry.get("loc", "").strip(), entry.get("lastmod")) for entry in islice(sitemap, max_entries + 1)]
    locations = [(loc, lastmod) for loc, lastmod in entries[:max_entries] if loc]
    return SitemapEntries(sitemap.type == "sitemapindex", telling_lastmods(locations), len(entries) > max_entries)


def telling_lastmods(locations: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The locations, without their lastmods when one date is given to every page
    (ONE_LASTMOD_ENTRIES): the known ones then wait until they are due for a revisit."""
    lastmods = {lastmod for _, lastmod in locations}
    if len(locations) < ONE_LASTMOD_ENTRIES or len(lastmods) != 1 or None in lastmods:
        return locations
    return [(loc, None) for loc, _ in locations]


def from_document_start(body: bytes) -> bytes:
    """An XML body from where its document begins. A PHP site that shows its errors prints
    its warnings and notices before the sitemap or feed it writes, and lxml read that HTML
    fragment as the document: the sitemap or feed named nothing."""
    start = XML_START.search(body, 0, DOCUMENT_START_WITHIN)
    return body[start.start() :] if start is not None and start.start() > 0 else body


def in_its_encoding(body: bytes) -> bytes:
    """An XML body lxml reads right: one whose declaration names an encoding the bytes are
    not in (a UTF-8 sitemap declared TIS-620 or UTF-16: Thai addresses read as mojibake, or
    nothing read at all) is given as UTF-8 without the declaration. Checked only for a
    declaration other than UTF-8, which lxml reads as UTF-8 anyway."""
    declared = xml_declared_encoding(body)
    if declared is None or resolve_encoding(declared) == "utf-8":
        return body
    encoding, text = read_body(body)
    if resolve_encoding(encoding) == resolve_encoding(declared):
        return body
    return XML_DECLARATION.sub("", text if text is not None else body.decode(encoding, "replace"), count=1).encode()


def xml_declared_encoding(body: bytes) -> str | None:
    """What the XML declaration says, as lxml believes it. Not w3lib's reading of a declared
    encoding, which is the HTML standard's: since w3lib 2.6 it takes `UTF-16` on ASCII bytes
    for UTF-8, while lxml still reads such a sitemap as UTF-16 and finds nothing in it."""
    match = XML_DECLARED_ENCODING.match(body)
    return match.group(1).decode("ascii", "replace") if match else None


def page_location(sitemap_url: str, loc: str) -> str:
    """A sitemap's `<loc>`, resolved against the sitemap's own address when it is a path:
    sitemaps.org asks for absolute addresses, but a hand-made sitemap writing `/news/x/` names
    that page as a feed's or a listing's relative link does (each of those is resolved too).
    One with a host but no scheme is left as written, and recorded as a bad address."""
    try:
        parts = urlsplit(loc)
    except ValueError:  # malformed: recorded as such (crawler/outcomes.unrequestable)
        return loc
    return urljoin(sitemap_url, loc) if not (parts.scheme or parts.netloc) else loc


def resolved(response: TextResponse, link: str) -> str:
    """A feed's or a page's link made absolute (against its `<base>` if it has one); one urllib
    cannot read (a broken IPv6 host) is left as written, to be recorded as a bad address
    (crawler/outcomes.unrequestable): urllib raised, and ended the reading of the whole feed."""
    try:
        return response.urljoin(link.strip())
    except ValueError:
        return link.strip()


def feed_links(response: TextResponse) -> list[str]:
    """The item links of an RSS feed and the alternate links of an Atom feed, absolute."""
    feed = Selector(text=from_document_start(response.body).decode(response.encoding, "replace"), type="xml")
    feed.remove_namespaces()
    links = feed.xpath("//item/link/text()").getall()
    links += feed.xpath("//entry/link[@rel='alternate' or not(@rel)]/@href").getall()
    return [resolved(response, link) for link in links]


def api_links(response: TextResponse) -> list[str] | None:
    """The post links of a page of /wp-json/wp/v2/posts; None when the answer is not JSON."""
    posts = json_after_notices(response.text)
    if posts is None:
        return None
    if not isinstance(posts, list):
        return []
    return [p["link"] for p in posts if isinstance(p, dict) and isinstance(p.get("link"), str) and p["link"]]


def json_after_notices(text: str) -> Any | None:
    """The JSON an answer holds, if need be from the first line that begins one: PHP prints its
    notices before the REST API's JSON too, and the answer read as no API at all."""
    data = read_json(text)
    if data is None and (start := JSON_START.search(text, 1, DOCUMENT_START_WITHIN)) is not None:
        return read_json(text[start.start() :])
    return data


def api_pages(response: Response) -> int:
    """How many pages of posts the API says it has (1 where it says nothing readable)."""
    pages = (response.headers.get(b"X-WP-TotalPages") or b"").strip()
    return int(pages) if pages.isdigit() else 1


def announced_feeds(response: TextResponse) -> list[str]:
    """The feeds a page announces in its <head>, absolute."""
    return [resolved(response, href) for href in response.css(ANNOUNCED_FEEDS).getall()]


@dataclass(frozen=True)
class Listing:
    links: list[str]  # every link on the page to the site, next pages included
    next_pages: list[str]
    content: list[str]  # the links that are neither a next page nor a page number
    cut: bool  # the page had more links than those read


def listing(
    response: TextResponse, extractor: LinkExtractor, on_site: Callable[[str], bool], max_links: int
) -> Listing:
    """The links of the page's first `max_links` anchors: a page of a quarter of a million
    links held a crawl's reactor for 40 seconds of link extraction, its requests 1.3 GB."""
    response, cut = first_anchors(response, max_links)
    response = markup.readable_response(response)  # links after an early </html> too
    # Addresses without session identifiers, once resolved: a session may be in the page's own
    # address (ASP.NET's path) as well as in the links.
    found = (without_visit_ids(link.url) for link in extractor.extract_links(response) if on_site(link.url))
    links = list(dict.fromkeys(found))
    next_pages = [without_visit_ids(resolved(response, href)) for href in response.css(PAGINATION).getall()]
    content = [u for u in links if u not in next_pages and not PAGE_NUMBER.search(u)]
    return Listing(links, next_pages, content, cut)


def first_anchors(response: TextResponse, max_anchors: int) -> tuple[TextResponse, bool]:
    """The response, or a copy of it cut before its anchor number `max_anchors` + 1 (found in
    the bytes, before anything is parsed), and whether it was cut."""
    anchors = ANCHOR.finditer(response.body)
    beyond = next(islice(anchors, max_anchors, None), None)
    if beyond is None:
        return response, False
    return response.replace(body=response.body[: beyond.start()]), True
