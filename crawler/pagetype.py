"""Tell article pages from listings (home, category, tag, author, archive) and other pages.

Signals, strongest first: WordPress body classes; Open Graph type; schema.org type;
an article publication meta tag. Sites that give none declare an article URL pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from parsel import Selector

PageKind = Literal["article", "listing", "other"]
ARTICLE_BODY_CLASSES = {"single-post", "single-format-standard", "single-news", "node-type-article"}
LISTING_BODY_CLASSES = {"home", "blog", "archive", "category", "tag", "author", "date", "search", "paged"}
OTHER_BODY_CLASSES = {"page", "error404", "attachment"}
ARTICLE_SCHEMA_TYPES = {"Article", "NewsArticle", "BlogPosting", "ReportageNews", "AnalysisNewsArticle"}


# Read in a page's bytes (any ASCII-compatible encoding): an article page is not decoded in the
# crawl's main process at all (crawler/workers.py decodes it, once).
BODY_CLASS = re.compile(rb"<body\b[^>]*?\bclass\s*=\s*[\"']([^\"']*)", re.IGNORECASE)


def body_class_kind(classes: set[str]) -> PageKind | None:
    """What WordPress-style body classes say, strongest first; None if they say nothing."""
    if classes & ARTICLE_BODY_CLASSES:
        return "article"
    if classes & LISTING_BODY_CLASSES:
        return "listing"
    if classes & OTHER_BODY_CLASSES:
        return "other"
    return None


def quick_kind(body: bytes) -> PageKind | None:
    """The kind from the `<body class>` alone, without parsing the page; None if it does not
    say, or says listing (a listing is parsed anyway, for its links).

    Saves the crawler's main process a full parse of every article page (WordPress says
    `single-post` there); anything less clear goes through `page_kind`.
    """
    match = BODY_CLASS.search(body)
    kind = body_class_kind(set(match.group(1).decode("latin-1").split())) if match else None
    return None if kind == "listing" else kind


def page_kind(page: Selector, url: str, article_url_pattern: re.Pattern[str] | None = None) -> PageKind:
    kind = body_class_kind(set((page.css("body::attr(class)").get() or "").split()))
    if kind is not None:
        return kind
    if article_url_pattern is not None:
        return "article" if article_url_pattern.search(url) else "listing"
    if page.css('meta[property="og:type"]::attr(content)').get() == "article":
        return "article"
    if _schema_types(page) & ARTICLE_SCHEMA_TYPES or page.css('meta[property="article:published_time"]'):
        return "article"
    return "listing" if len(page.css("article")) > 1 else "other"


def kind_of(body: bytes, url: str, pattern: re.Pattern[str] | None, parsed: Callable[[], Selector]) -> PageKind:
    """What the crawler decides a fetched page is: its body classes when they settle it without
    a parse, else page_kind on the parsed page (`parsed()`, the response's own selector, asked
    for only then: an article page is parsed once, in the extraction worker, not here too)."""
    kind = quick_kind(body)
    if kind is not None:
        return kind
    return page_kind(parsed(), url, pattern)


def _schema_types(page: Selector) -> set[str]:
    types: set[str] = set()
    for script in page.css('script[type="application/ld+json"]::text').getall():
        types.update(re.findall(r'"@type"\s*:\s*"([^"]+)"', script))
    for value in page.css("[itemtype]::attr(itemtype)").getall():
        types.add(value.rstrip("/").rsplit("/", 1)[-1])
    return types
