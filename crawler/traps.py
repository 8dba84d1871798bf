"""Traps: URL spaces a site generates without end, refused before they are requested.

Calendars and date archives, page numbers that keep growing, relative links that repeat
path segments, filters that permute query strings: each can keep a crawl busy for ever.
Two kinds of evidence decide:

- the URL alone: too long, too deep, a path segment repeated, a date outside the years an
  agency can have published in, or one more distinct set of query keys under one path
  than any real site needs;
- what a discovery route yields: pages of one URL shape (digits and query values
  ignored, so `/archive/page/7/` and `/archive/page/8/` are one shape) that keep coming
  without a new article. After GOVARCHIVE_TRAP_FRUITLESS_PAGES such pages the shape is
  refused.

The archive remembers both (a shape, or the one URL), so the next run does not walk them again.

Each refusal names the setting whose bound it hit, for the run's `crawl_runs.bounds`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from scrapy.settings import BaseSettings

from archive.text import common_era_year
from crawler.outcomes import url_key

FRUITLESS_SETTING = "GOVARCHIVE_TRAP_FRUITLESS_PAGES"
DIGITS = re.compile(r"\d+")
# A year followed by a month (and maybe a day): /2024/05/, 2024-05-31, ?d=2024/5/31.
DATE_IN_URL = re.compile(r"(?<!\d)(\d{4})[-/](0?[1-9]|1[0-2])(?:[-/](0?[1-9]|[12]\d|3[01]))?(?!\d)")
# A year as the value of a query key that names a date.
YEAR_PARAMETER = re.compile(r"(?:^|&)(?:y|yr|year|date|day|month|cal\w*)=(\d{4})(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class TrapRules:
    fruitless_pages: int = 20
    max_path_segments: int = 12
    max_segment_repeats: int = 2
    max_url_length: int = 1024
    max_query_shapes: int = 8
    earliest_year: int = 1990

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> TrapRules:
        return cls(
            fruitless_pages=settings.getint("GOVARCHIVE_TRAP_FRUITLESS_PAGES"),
            max_path_segments=settings.getint("GOVARCHIVE_TRAP_MAX_PATH_SEGMENTS"),
            max_segment_repeats=settings.getint("GOVARCHIVE_TRAP_MAX_SEGMENT_REPEATS"),
            max_url_length=settings.getint("GOVARCHIVE_TRAP_MAX_URL_LENGTH"),
            max_query_shapes=settings.getint("GOVARCHIVE_TRAP_MAX_QUERY_SHAPES"),
            earliest_year=settings.getint("GOVARCHIVE_TRAP_EARLIEST_YEAR"),
        )


@dataclass(frozen=True)
class Trap:
    setting: str  # the bound that refused the URL, by its setting's name
    reason: str  # in words, for the `failures` table


def url_shape(url: str) -> str:
    """Host and path with every run of digits as N, and the query's keys without values (a
    malformed address is its own shape)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a broken IPv6 host
        return url
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{parts.hostname or ''}{DIGITS.sub('N', parts.path)}" + ("?" + "&".join(keys) if keys else "")


def url_trap(url: str, rules: TrapRules, now: datetime | None = None) -> Trap | None:
    """What the URL alone shows, or None."""
    if len(url) > rules.max_url_length:
        return Trap("GOVARCHIVE_TRAP_MAX_URL_LENGTH", f"trap: URL longer than {rules.max_url_length} characters")
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > rules.max_path_segments:
        return Trap("GOVARCHIVE_TRAP_MAX_PATH_SEGMENTS", f"trap: more than {rules.max_path_segments} path segments")
    if segments:
        segment, repeats = Counter(segments).most_common(1)[0]
        if repeats > rules.max_segment_repeats:
            return Trap(
                "GOVARCHIVE_TRAP_MAX_SEGMENT_REPEATS", f"trap: path segment {segment!r} repeated {repeats} times"
            )
    year = _implausible_year(parts.path, parts.query, rules.earliest_year, (now or datetime.now(UTC)).year + 1)
    if year is not None:
        return Trap("GOVARCHIVE_TRAP_EARLIEST_YEAR", f"trap: a date archive of the year {year}")
    return None


def _implausible_year(path: str, query: str, earliest: int, latest: int) -> int | None:
    years = [int(m.group(1)) for m in DATE_IN_URL.finditer(path + "?" + query)]
    years += [int(m.group(1)) for m in YEAR_PARAMETER.finditer(query)]
    for year in years:
        if not earliest <= common_era_year(year) <= latest:
            return year
    return None


class TrapDetector:
    """One site's traps during one run. A trap's pattern is a URL shape (fruitless discovery
    pages) or one URL, canonical (a trap by itself); `known` holds what earlier runs found."""

    def __init__(self, rules: TrapRules, known: dict[str, Trap] | None = None) -> None:
        self.rules = rules
        self.known: dict[str, Trap] = dict(known or {})
        self.new: dict[str, Trap] = {}  # found in this run, for the archive
        self.query_shapes: defaultdict[str, set[frozenset[str]]] = defaultdict(set)
        self.pages: Counter[str] = Counter()  # discovery pages walked, per shape
        self.productive: dict[str, int] = {}  # shape -> its page count when an article was last found
        # route -> page (canonical URL) -> shape of the route's discovery page that first named it
        self.named_by: dict[str, dict[str, str]] = {}
        self.articles: set[str] = set()  # pages found to be articles in this run (canonical URLs)

    def found_before(self, url: str) -> bool:
        """A trap an earlier run found and recorded: this run only counts it."""
        return any(p in self.known and p not in self.new for p in (url_key(url), url_shape(url)))

    def check(self, url: str) -> Trap | None:
        """Any URL before it is requested: the URL itself, its query keys, its shape's record."""
        canonical = url_key(url)
        for pattern in (canonical, url_shape(url)):
            if pattern in self.known:
                return self.known[pattern]
        trap = url_trap(url, self.rules) or self._query_trap(url)
        if trap is not None:
            self._remember(canonical, trap)
        return trap

    def _query_trap(self, url: str) -> Trap | None:
        parts = urlsplit(url)
        keys = frozenset(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
        path_shapes = self.query_shapes[f"{parts.hostname}{parts.path}"]
        if keys not in path_shapes and len(path_shapes) >= self.rules.max_query_shapes:
            reason = f"trap: over {self.rules.max_query_shapes} query-string variants of {parts.path}"
            return Trap("GOVARCHIVE_TRAP_MAX_QUERY_SHAPES", reason)
        path_shapes.add(keys)
        return None

    def check_discovery(self, url: str) -> Trap | None:
        """A discovery page (listing, API page, sitemap) about to be requested: also refused
        when its shape has yielded no new article for the last `fruitless_pages` pages."""
        trap = self.check(url)
        if trap is not None:
            return trap
        shape = url_shape(url)
        if self.pages[shape] - self.productive.get(shape, 0) < self.rules.fruitless_pages:
            return None
        trap = Trap(
            FRUITLESS_SETTING, f"trap: {self.rules.fruitless_pages} pages like {shape} in a row without a new article"
        )
        self._remember(shape, trap)
        return trap

    def _remember(self, pattern: str, trap: Trap) -> None:
        self.known[pattern] = self.new[pattern] = trap

    def walked(self, discovery_url: str) -> str:
        """A discovery page was parsed; returns its shape, which finds credit for its articles."""
        shape = url_shape(discovery_url)
        self.pages[shape] += 1
        return shape

    def named(self, route: str, shape: str, urls: list[str], known: Callable[[str], bool]) -> None:
        """A discovery page of `route` named these URLs: its shape earns credit for the articles
        it is the first page of its route to name (`known`: archived in an earlier run). Listings
        that re-list what other listings named (filters, sort orders, calendars of the same
        posts) earn none, and end as traps."""
        first_named = self.named_by.setdefault(route, {})
        for url in urls:
            key = url_key(url)
            if key in first_named:
                continue
            first_named[key] = shape
            if key in self.articles or known(url):
                self._credit(shape)

    def found_article(self, url: str) -> None:
        """A page turned out to be an article: credit the shapes that first named it."""
        key = url_key(url)
        self.articles.add(key)
        for first_named in self.named_by.values():
            if key in first_named:
                self._credit(first_named[key])

    def _credit(self, shape: str) -> None:
        self.productive[shape] = self.pages[shape]
