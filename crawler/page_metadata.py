"""What an article page says about itself besides its text: JSON-LD objects, <meta> tags,
authors, the language it declares (and the one its text is in), its canonical URL.

crawler/extract.py reads these from the whole page before its main text is cut out of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from parsel import Selector

from archive.text import normalize_text
from crawler.visit_ids import without_visit_ids
from crawler.web_address import web_address

THAI_LETTERS = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]+")  # consonants, vowels, marks
LETTERS = re.compile(r"[^\W\d_]+")
NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")
THAI_TEXT_SHARE = 0.3  # above this share of Thai letters, the text is Thai
FOREIGN_TEXT_SHARE = 0.02  # below it, a page declared Thai is not


def read_json(text: str | bytes) -> Any | None:
    """The JSON a page holds, or None where it holds none readable: bad syntax, or nesting
    deeper than Python's parser recurses (a script of 1,000 `[` raised RecursionError and took
    the whole article with it)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def jsonld_objects(page: Selector) -> Iterator[dict[str, Any]]:
    for script in page.css('script[type="application/ld+json"]::text').getall():
        data = read_json(script)
        if data is None:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.append(item.get("@graph"))  # a list, as it should be, or one object, or null
                yield item


def jsonld_value(objects: list[dict[str, Any]], key: str) -> str | None:
    for obj in objects:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def meta_tags(page: Selector) -> dict[str, str]:
    """Every <meta> by its property, name or itemprop (first one wins): one pass, not a query per tag."""
    found: dict[str, str] = {}
    for tag in page.xpath("//meta[@content]"):
        key = tag.attrib.get("property") or tag.attrib.get("name") or tag.attrib.get("itemprop")
        content = tag.attrib["content"].strip()
        if key and content:
            found.setdefault(key, content)
    return found


def meta_value(meta: dict[str, str], keys: Iterable[str]) -> str | None:
    return next((meta[k] for k in keys if k in meta), None)


def authors(page: Selector, meta: dict[str, str], jsonld: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for obj in jsonld:
        author = obj.get("author")
        for person in author if isinstance(author, list) else [author]:
            if isinstance(person, dict) and isinstance(person.get("name"), str):
                names.append(person["name"])
    names += [meta["author"]] if "author" in meta else []
    names += page.css('a[rel~="author"] ::text').getall()
    return unique(normalize_text(n) for n in names)


def declared_language(page: Selector, meta: dict[str, str], jsonld: list[dict[str, Any]]) -> str | None:
    """The article's own declaration first: a Thai site's `<html lang>` covers English posts too."""
    declared = jsonld_value(jsonld, "inLanguage") or meta.get("og:locale") or first(page, ("html::attr(lang)",))
    return declared.replace("_", "-").split("-")[0].lower() if declared else None


def language(language: str | None, text: str) -> str | None:
    """The declared language, unless the text's script contradicts it."""
    if language != "th" and not THAI_LETTERS.search(text):
        return language  # no Thai letter: nothing to count
    letters = _count(LETTERS, text)
    thai_share = _count(THAI_LETTERS, text) / letters if letters else 0.0
    if thai_share > THAI_TEXT_SHARE:
        return "th"
    if language == "th" and thai_share < FOREIGN_TEXT_SHARE:
        return "en" if not NON_ASCII_LETTER.search(text) else None
    return language


def _count(runs: re.Pattern[str], text: str) -> int:
    return sum(map(len, runs.findall(text)))


def canonical(page: Selector, meta: dict[str, str], url: str) -> str:
    """The page's own address: its canonical link, else the one it was fetched at (a server may
    have redirected to one with a session identifier: left out)."""
    found = first(page, ('link[rel="canonical"]::attr(href)',)) or meta.get("og:url")
    return without_visit_ids(web_address(url, found) or url)


def unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def first(page: Selector, queries: Iterable[str]) -> str | None:
    for query in queries:
        value = page.css(query).get()
        if value and value.strip():
            return value.strip()
    return None
