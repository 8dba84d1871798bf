"""Which files of an article page are kept with it: the documents it links on the agency's own
site (PDF, Word, Excel, PowerPoint, ODF) and its images (the lead image first).

Only the post counts: a theme's sidebars, menus and "related post" blocks link the same files
from every page. The post is the element the site's family names (`post_selectors`), after its
cleanup rules removed share bars and related posts; on a page without one, the page without
its header, menus, sidebars and footer. The extraction worker finds them in the parse it makes
anyway (crawler/extract.py); the crawl keeps those on the agency's site (`chosen`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from parsel import Selector, SelectorList

from crawler.visit_ids import without_visit_ids
from crawler.web_address import readable, web_address

DOCUMENT = "document"
IMAGE = "image"
LEAD_IMAGE = "lead image"
DOCUMENT_EXTENSIONS = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp)$", re.IGNORECASE)
LEAD_IMAGE_SELECTORS = ('meta[property="og:image"]::attr(content)', 'meta[name="twitter:image"]::attr(content)')
OUTSIDE_THE_POST = ("header", "nav", "footer", "aside", ".sidebar", "#sidebar", ".widget")
ROLES = {"documents": (DOCUMENT,), "images": (LEAD_IMAGE, IMAGE)}  # GOVARCHIVE_ATTACHMENTS's words
ATTACHMENT = "govarchive_attachment"  # request meta: the request fetches an attachment
MAX_CANDIDATES = 100  # files a worker reports for one page; the crawl keeps fewer


@dataclass(frozen=True)
class AttachmentRef:
    """A file an article links or shows, and what it is to the article."""

    url: str
    role: str  # DOCUMENT, IMAGE or LEAD_IMAGE


def attachment_refs(page: Selector, page_url: str, post_selectors: tuple[str, ...]) -> list[tuple[str, str]]:
    """The post's files as (absolute URL, role), lead image first, each once, at most
    MAX_CANDIDATES; the page's cleanup rules must have run (crawler/extract.py)."""
    post, outside = _post(page, post_selectors)
    links = ", ".join(f"{selector} a::attr(href), {selector} img::attr(src)" for selector in outside)
    excluded = set(post.css(links).getall()) if links else set()
    refs: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(link: str | None, role: str) -> None:
        if not link or link in excluded or len(refs) >= MAX_CANDIDATES:
            return
        address = web_address(page_url, link)
        url = without_visit_ids(address.split("#", 1)[0]) if address else None
        if url is not None and url not in seen:
            seen.add(url)
            refs.append((url, role))

    add(next(filter(None, (page.css(s).get() for s in LEAD_IMAGE_SELECTORS)), None), LEAD_IMAGE)
    for href in post.css("a::attr(href)").getall():
        parts = readable(href.strip())  # a relative link's path ends as the absolute one's does
        if parts is not None and DOCUMENT_EXTENSIONS.search(parts.path):
            add(href, DOCUMENT)
    for src in post.css("img::attr(src)").getall():
        add(src, IMAGE)
    return refs


def _post(page: Selector, post_selectors: tuple[str, ...]) -> tuple[Selector | SelectorList[Selector], tuple[str, ...]]:
    """The post's element; else the page, and its chrome to leave out."""
    for selector in post_selectors:
        found = page.css(selector)
        if len(found) == 1:
            return found[0], ()
    return page, OUTSIDE_THE_POST


def chosen(
    candidates: Iterable[tuple[str, str]], roles: set[str], on_site: Callable[[str], bool], limit: int
) -> list[AttachmentRef]:
    """The files a crawl keeps: of the kinds it keeps, on the agency's own site, at most `limit`."""
    kept = [AttachmentRef(url, role) for url, role in candidates if role in roles and on_site(url)]
    return kept[:limit]
