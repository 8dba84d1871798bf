"""HTML page -> clean article text and metadata. The only module that imports trafilatura.

trafilatura finds the main text; the metadata it cannot get right on Thai agency pages is
read here from the page's own markup: dates with their time and offset (trafilatura keeps
only the day and reads no Buddhist-Era date), authors (it trims Thai combining marks),
language (from `<html lang>`). Theme boilerplate that trafilatura keeps is removed first
with the site family's cleanup selectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import version
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from parsel import Selector, SelectorList
from trafilatura.metadata import extract_catstags
from trafilatura.settings import Document

from archive.text import normalize_text
from crawler import markup
from crawler import page_metadata as said
from crawler.attachments import attachment_refs
from crawler.dates import iso, parse_date, parse_thai_date
from crawler.web_address import web_address

EXTRACTOR = f"trafilatura {version('trafilatura')}"
# Runs, not single letters: counted by length, a body yields a few hundred matches, not thousands.
POST_TEXT_SHARE = 0.5  # the post element must hold this share of the page's paragraph text
SHORT_BODY_SHARE = 0.3  # a main text under this share of the page's <p> and table-cell text gets a second pass
CONFIRM_CHARS = 300  # a main text shorter than this must be found by the precision pass too
TITLE_SEPARATORS = frozenset("-–—|:·•»")  # between a heading and the site's name in a <title>
# <meta> keys (property, name or itemprop), read in one pass over the page's meta tags.
PUBLISHED_META = ("article:published_time", "datePublished", "DC.date.issued", "date")
MODIFIED_META = ("article:modified_time", "dateModified", "og:updated_time")
# An <article>'s <time>, or schema.org microdata's (Joomla 4 writes it in the article info).
MARKED_UP_PUBLISHED = 'article time[datetime]::attr(datetime), time[itemprop="datePublished"]::attr(datetime)'
TERM_LINKS = "//a[contains(@href, '/categor') or contains(@href, '/tag')]/@href"  # see _terms()
VISIBLE_DATE_AREAS = ("article", "main")  # not <body>: top bars show today's date
HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)
PLAIN_SELECTOR = re.compile(r"^(?:#([\w-]+)|((?:\.[\w-]+)+))$")  # `#id`, or `.class` or `.a.b`
PARAGRAPH = frozenset({"p"})
BLOCKS = frozenset({"p", "td", "th"})  # paragraphs and table cells


class ExtractionError(ValueError):
    """The page has no article text we could find; the reason goes to `failures`."""


@dataclass(frozen=True)
class ExtractionRules:
    """What a site family adds to the generic extraction (see crawler/spiders/cms.py)."""

    cleanup_selectors: tuple[str, ...] = ()
    # The post's own info block (category, dates, hits): read for its metadata, then left out
    # of the text. Plain `.class` rules only: a page whose source lacks the name is not walked.
    info_selectors: tuple[str, ...] = ()
    date_selectors: tuple[str, ...] = ()
    timezone: str = "Asia/Bangkok"
    # Links naming the article's categories / tags; the first selector that finds any wins.
    category_selectors: tuple[str, ...] = ()
    tag_selectors: tuple[str, ...] = ()
    # The one element holding the whole post (title, meta line, text, tags); see _focus().
    post_selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extracted:
    title: str
    body: str
    url: str
    published: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    extractor: str = EXTRACTOR
    # Not a column: the files the post holds (crawler/attachments.py), when asked for.
    files: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The article's columns (and `attachments`, the files, when they were looked for)."""
        fields = asdict(self)
        files = fields.pop("files")
        return {**fields, "attachments": files} if files else fields


def extract(html: str, url: str, rules: ExtractionRules = ExtractionRules(), find_files: bool = False) -> Extracted:
    """What the archive stores for one article page, and with `find_files` the files its post
    holds, found in the same parse. Raises ExtractionError."""
    page = _parse(normalize_text(html))
    jsonld = list(said.jsonld_objects(page))
    meta = said.meta_tags(page)
    tz = ZoneInfo(rules.timezone)
    _drop(page, rules.cleanup_selectors)
    files = attachment_refs(page, url, rules.post_selectors) if find_files else []
    categories, tags = _terms(page, rules)
    categories = categories or [meta.get("article:section", "")]
    tags = tags or page.css('meta[property="article:tag"]::attr(content)').getall()
    published = _published(page, meta, jsonld, rules, tz) or _htmldate(page, tz)
    title = normalize_text(meta.get("og:title") or said.first(page, ("h1 ::text", "title::text")) or "")
    canonical = said.canonical(page, meta, url)
    authors = said.authors(page, meta, jsonld)
    declared_language = said.declared_language(page, meta, jsonld)
    _drop(page, tuple(rule for rule in rules.info_selectors if rule[1:].split(".")[0] in html))
    text = _main_text(page, url, rules.post_selectors)  # the last step: it may cut the tree
    if not title:
        raise ExtractionError("no title found on the page")
    title, body = _title_and_body(text, title)
    return Extracted(
        title=title,
        body=body,
        url=canonical,
        published=iso(published),
        modified=iso(parse_date(said.meta_value(meta, MODIFIED_META) or said.jsonld_value(jsonld, "dateModified"), tz)),
        authors=authors,
        language=said.language(declared_language, text),
        categories=said.unique(normalize_text(c) for c in categories),
        tags=said.unique(normalize_text(t) for t in tags),
        image=web_address(url, meta.get("og:image")),
        files=files,
    )


def _main_text(page: Selector, url: str, post_selectors: tuple[str, ...]) -> str:
    """trafilatura's main text of the page, from its recall-favouring pass, with two checks:
    under SHORT_BODY_SHARE of the page's paragraph and table-cell text, the longer of it and a
    balanced pass (the recall pass settled on a small block: 3% of the corpus' pages); under
    CONFIRM_CHARS, only if the precision pass finds text too (else it is the header line of a
    post without text: title, category, date, views).

    Chosen on the tuning half of ../shared/corpus (docs/extraction.md): favouring precision
    dropped more reference text than it kept boilerplate out. trafilatura's own metadata pass
    is not run: we read the metadata ourselves, and it cost a third of the time."""
    _focus(page, post_selectors)
    text = _trafilatura_text(page, url, favor_recall=True)
    if len(text) < SHORT_BODY_SHARE * _block_chars(page.root):
        text = max(text, _trafilatura_text(page, url), key=len)
    if text.strip() and len(text) < CONFIRM_CHARS and not _trafilatura_text(page, url, favor_precision=True).strip():
        text = ""
    if not text.strip():
        raise ExtractionError("no main text found on the page")
    return text


def _trafilatura_text(page: Selector, url: str, favor_recall: bool = False, favor_precision: bool = False) -> str:
    """The text of one trafilatura pass (it works on a copy: the tree is left as it was)."""
    doc = trafilatura.bare_extraction(
        page.root,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        favor_recall=favor_recall,
        favor_precision=favor_precision,
    )
    return (doc.text or "") if isinstance(doc, Document) else ""


def _focus(page: Selector, post_selectors: tuple[str, ...]) -> None:
    """Leave in <body> only the element that holds the post, when the site family names it,
    the page has exactly one (a listing has many: left whole) and it holds at least half of
    the page's paragraph text (a theme may mark only the post's header).

    trafilatura finds the same text there (identical on the bundled mirror and on the 16 real
    WordPress pages of ../shared/corpus it applies to), but no longer runs its XPath passes over
    the theme's menus and sidebars: an agency mega-menu of a few hundred links is most of a
    page's elements, and extraction of a Digiqole page takes half the time.
    """
    posts = next((found for found in map(page.css, post_selectors) if found), SelectorList())
    post = posts[0].root if len(posts) == 1 else None
    body = page.root.find("body")
    if post is None or body is None or body not in post.iterancestors():
        return
    if _paragraph_chars(post) < POST_TEXT_SHARE * _paragraph_chars(body):
        return  # a theme that marks only the post's header: the text lies outside
    post.tail = None  # text after the post belongs to its parent, which goes
    post.getparent().remove(post)
    for child in list(body):
        body.remove(child)
    body.text = None
    body.append(post)


def _paragraph_chars(element: etree._Element) -> int:
    return _text_chars(element, PARAGRAPH)


def _block_chars(element: etree._Element) -> int:
    """Text in paragraphs and table cells: what a page's main text is mostly made of."""
    return _text_chars(element, BLOCKS)


def _text_chars(element: etree._Element, tags: frozenset[str]) -> int:
    """Characters of the text inside `tags` elements below `element`, each text once (what
    `.//p//text()` finds). A walk, not XPath: libxml2 merges such node sets in time that grows
    with the square of their size (3 s for a 5 MB page of 60,000 paragraphs, 0.16 s walked),
    so a bloated page would hold an extraction worker for minutes."""
    total = 0
    for found in element.iter(*tags):
        holder = found.getparent()
        while holder is not None and holder is not element and holder.tag not in tags:
            holder = holder.getparent()
        if found is not element and (holder is None or holder is element):  # not inside another
            total += sum(map(len, found.itertext()))
    return total


def _parse(html: str) -> Selector:
    """The page as parsel sees it, built with a C-level element class lookup: lxml.html's own
    lookup calls Python for every element touched (about 3,700 calls on a 90 KB page, 12% of
    trafilatura's time). Elements are still HtmlElement, so trafilatura works unchanged.

    libxml2 stops reading a page nested deeper than it allows (256 elements, 2,048 with
    `huge_tree`), where a browser reads on: an old page that opens a `<font>` on every line
    and never closes it lost every line after the 256th. Such a page is read again without its
    inline formatting tags, and if still too deep without the block containers it never closes
    (markup.shallower): a `<div>` left open 3,000 times in a template's loop lost a post whole."""
    body = markup.readable(html.encode("utf-8")).strip()
    root, too_deep = _tree(body)
    for reading in markup.shallower(body) if too_deep else ():
        root, too_deep = _tree(reading)
        if not too_deep:
            break
    return Selector(root=root, type="html")


def _tree(html: bytes) -> tuple[etree._Element, bool]:
    """(the parsed page, whether the parser stopped at its depth limit)."""
    parser = lxml.html.HTMLParser(
        recover=True, encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True
    )
    parser.set_element_class_lookup(HTML_CLASSES)
    root = etree.fromstring(html, parser=parser) if html else None
    if root is None:
        return etree.fromstring(b"<html/>", parser=parser), False
    return root, any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)


def _drop(page: Selector, selectors: tuple[str, ...]) -> None:
    """Remove boilerplate blocks, keeping the text that follows them.

    Plain rules (`#id`, `.class`, `.a.b`) are matched in one walk over the tree, 0.4 ms on the
    bench's 90 KB pages for every family's rules: libxml2 tests a CSS class by string surgery on
    every element, once per rule and class (the WordPress family's 15 rules took 8 ms so, and
    Drupal's `.links.inline` alone 0.4 ms, a tenth of extraction). Other selectors go to parsel.
    """
    rules = _plain_rules(selectors)
    for element in rules.matching(page.root):
        element.drop_tree()
    if rules.others:
        page.css(", ".join(rules.others)).drop()


@dataclass(frozen=True)
class _PlainRules:
    """A rule set's plain selectors, ready to test elements against, and the rest."""

    ids: frozenset[str]
    classes: frozenset[str]  # `.class`
    compounds: tuple[frozenset[str], ...]  # `.a.b`: every class at once
    in_compounds: frozenset[str]  # the classes of any compound: one of them must be there first
    others: tuple[str, ...]  # anything else, for parsel

    def matching(self, root: etree._Element) -> list[etree._Element]:
        """The elements below `root` that a plain rule names. One loop, no call per element:
        a method called on each of a page's ~800 elements took half as long again."""
        if not (self.ids or self.classes or self.compounds):
            return []
        found = []
        for element in root.iter(etree.Element):
            names = element.get("class")
            if names is not None:
                held = names.split()
                if not self.classes.isdisjoint(held) or (
                    not self.in_compounds.isdisjoint(held) and any(c.issubset(held) for c in self.compounds)
                ):
                    found.append(element)
                    continue
            if element.get("id") in self.ids:
                found.append(element)
        return found


@cache
def _plain_rules(selectors: tuple[str, ...]) -> _PlainRules:
    matches = [(selector, PLAIN_SELECTOR.match(selector)) for selector in selectors]
    class_sets = [frozenset(match[2][1:].split(".")) for _, match in matches if match and match[2]]
    compounds = tuple(names for names in class_sets if len(names) > 1)
    return _PlainRules(
        ids=frozenset(match[1] for _, match in matches if match and match[1]),
        classes=frozenset(name for names in class_sets if len(names) == 1 for name in names),
        compounds=compounds,
        in_compounds=frozenset().union(*compounds),
        others=tuple(selector for selector, match in matches if not match),
    )


def _htmldate(page: Selector, tz: ZoneInfo) -> datetime | None:
    """htmldate's reading of machine-readable markup we do not know (no guessing from text)."""
    try:
        found = find_date(page.root, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S")
    except ValueError:  # htmldate compares a date whose offset no zone has ("+24:00") and raises
        return None
    return parse_date(found, tz)


def _title_and_body(text: str, title: str) -> tuple[str, str]:
    """The title, and the paragraphs separated by blank lines without it as the first line.
    A first line that begins the title before a separator (a page without og:title or <h1>,
    whose <title> adds the site's name: "Heading - Office") is the heading: it is the title."""
    paragraphs = [" ".join(line.split()) for line in normalize_text(text).splitlines()]
    paragraphs = [p for p in paragraphs if p]
    title = " ".join(title.split())
    first = paragraphs[0] if paragraphs else ""
    if first and (first == title or (title.startswith(first) and title[len(first) :].lstrip()[:1] in TITLE_SEPARATORS)):
        title, paragraphs = first, paragraphs[1:]
    if not paragraphs:
        raise ExtractionError("the main text holds nothing but the title")
    return title, "\n\n".join(paragraphs)


def _terms(page: Selector, rules: ExtractionRules) -> tuple[list[str], list[str]]:
    """(categories, tags), read before trafilatura prunes the tree (its metadata pass is not run).

    From the site family's markup first. A page whose categories it finds is in that markup,
    so an article without tags has none. Otherwise what it did not find comes from
    trafilatura's search, which tests every element against a dozen patterns (1.4 ms each for
    categories and tags on ../shared/corpus, a tenth of extraction) and takes any sidebar tag
    cloud. It only keeps links whose address holds /categor... or /tag...: a page with none
    (three in four) is not searched.
    """
    categories = _link_texts(page, rules.category_selectors)
    tags = _link_texts(page, rules.tag_selectors)
    if categories:
        return categories, tags
    addresses = " ".join(page.xpath(TERM_LINKS).getall())
    return (
        extract_catstags("category", page.root) if "/categor" in addresses else [],
        tags or (extract_catstags("tag", page.root) if "/tag" in addresses else []),
    )


def _link_texts(page: Selector, selectors: Iterable[str]) -> list[str]:
    """The texts of what the first selector that matches anything finds."""
    for selector in selectors:
        texts = page.css(selector).xpath("string()").getall()
        if texts:
            return texts
    return []


def _published(
    page: Selector, meta: dict[str, str], jsonld: list[dict[str, Any]], rules: ExtractionRules, tz: ZoneInfo
) -> datetime | None:
    """Machine-readable dates first; then the visible date, which on Thai pages is in BE."""
    declared = said.meta_value(meta, PUBLISHED_META) or said.jsonld_value(jsonld, "datePublished")
    machine = parse_date(declared or said.first(page, (MARKED_UP_PUBLISHED,)), tz)
    if machine is not None:
        return machine
    for selector in rules.date_selectors:
        for text in page.css(selector).xpath("string()").getall():
            found = parse_date(text, tz)
            if found is not None:
                return found
    for area in VISIBLE_DATE_AREAS:
        node = page.css(area)
        if node:
            found = parse_thai_date(node[0].xpath("string()").get() or "", tz)
            if found is not None:
                return found
    return None
