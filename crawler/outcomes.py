"""What became of every page a route named: the ledger, and why a page was not archived.

A sitemap, feed, the WordPress API or a listing names URLs that may be articles. Each one
ends archived, not modified, recorded in `failures` with a reason a person understands, or
skipped on purpose and counted. The spider keeps a `Ledger` of the URLs named and settled;
whatever is still unsettled when a run stops early (a budget, SIGTERM) is recorded too.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from twisted.web._newclient import ParseError
from w3lib.url import canonicalize_url

from crawler.header_bound import HEADER_BYTES_SETTING, headers_too_large
from crawler.kinds import (
    CONNECTION,
    EMPTY,
    HTTP_ERROR,
    NOT_HTML,
    OTHER,
    ROBOTS,
    TIMEOUT,
    TOO_LARGE,
    TOO_MANY_REDIRECTS,
    TRUNCATED,
)
from crawler.visit_ids import without_visit_ids

# The bound each kind hit when it has no more precise one, by its setting's name.
BOUND_SETTINGS = {TIMEOUT: "DOWNLOAD_TIMEOUT", TOO_LARGE: "DOWNLOAD_MAXSIZE", TOO_MANY_REDIRECTS: "REDIRECT_MAX_TIMES"}
CANDIDATE_ROUTES = ("sitemap", "feed", "api")  # routes that name articles, not just links
PAGE = "govarchive_page"  # request meta: a page named as a possible article (NewsSpider.page_request)
BINARY_SNIFF_BYTES = 1024  # a NUL byte here: not text, whatever the Content-Type says
URL_KEYS_CACHED = 2**14  # URLs whose key is kept: a page is keyed again soon after it is named


class Refused(IgnoreRequest):
    """A request we would not make, or not follow further, and why."""

    def __init__(self, kind: str, reason: str, setting: str | None = None) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.setting = kind, reason, setting


class Verdict(NamedTuple):
    kind: str
    reason: str
    http_status: int | None = None
    setting: str | None = None  # the bound hit, if any


def classify(failure: Failure, timeout: float, maxsize: int) -> Verdict:
    """A failed request, in words; `timeout` and `maxsize` are the bounds it ran under."""
    error = failure.value
    if isinstance(error, Refused):
        return Verdict(error.kind, error.reason, None, error.setting)
    if isinstance(error, HttpError):
        status = error.response.status
        return Verdict(HTTP_ERROR, f"HTTP {status}", status)
    if isinstance(error, DownloadTimeoutError):
        return Verdict(TIMEOUT, f"timeout: no complete answer within {timeout:g} s", None, BOUND_SETTINGS[TIMEOUT])
    if isinstance(error, DownloadCancelledError) or (
        isinstance(error, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(error)
    ):
        where = "while decompressing" if isinstance(error, IgnoreRequest) else "on the wire"
        return Verdict(TOO_LARGE, f"too large: over {maxsize:,} bytes {where}", None, BOUND_SETTINGS[TOO_LARGE])
    if isinstance(error, IgnoreRequest) and "robots.txt" in str(error):
        return Verdict(ROBOTS, "robots.txt forbids it")
    if isinstance(error, ResponseDataLossError):
        return Verdict(TRUNCATED, "truncated: the connection closed before the whole response arrived")
    if (headers := headers_too_large(error)) is not None:
        return Verdict(TOO_LARGE, f"too large: {headers}", None, HEADER_BYTES_SETTING)
    if isinstance(error, DownloadConnectionRefusedError | CannotResolveHostError | DownloadFailedError):
        return Verdict(CONNECTION, f"connection failed: {_answer_failed(error)}")
    return Verdict(OTHER, f"{type(error).__name__}: {error}")


def _answer_failed(error: BaseException) -> str:
    """Why Twisted gave up on an answer, in words: Scrapy words it as the repr of Twisted's list
    of failures ("[<twisted.python.failure.Failure twisted.web._newclient.ParseError: ...>]")."""
    failures = getattr(error.__cause__, "reasons", None)  # twisted.web._newclient.ResponseFailed
    if not failures:
        return str(error)
    return "; ".join(_failure_words(failure.value) for failure in failures)


def _failure_words(error: BaseException) -> str:
    if isinstance(error, ParseError):  # (what, the bytes)
        what, data = (*error.args, b"")[:2]
        return f"not an HTTP answer ({what}: {data!r:.80})"
    return str(error) or type(error).__name__


def is_disk_full(error: BaseException) -> bool:
    """The disk holding the archive, its WARC files or the HTTP cache is full."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(error, sqlite3.OperationalError) and "disk is full" in str(error)


def source_url(request: Request) -> str:
    """The URL a route named, before any redirect."""
    return str(request.meta.get("redirect_urls", [request.url])[0])


def unrequestable(url: str) -> str | None:
    """Why no request can be made for `url`, a malformed address a sitemap or feed named (a port
    out of range, a broken IPv6 host, no scheme), or None. Scrapy raises on one, which ended the
    reading of the whole sitemap that named it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port out of range or not a number)
        url.encode()
    except (ValueError, UnicodeError) as error:
        return f"bad URL: {error}"
    if parts.hostname and not parts.scheme:
        return "bad URL: no scheme"
    return None


def storable(url: str) -> str:
    """The URL as the archive can keep it: a lone surrogate (a JSON escape can make one) replaced."""
    return url.encode("utf-8", "replace").decode("utf-8")


@lru_cache(maxsize=URL_KEYS_CACHED)
def url_key(url: str) -> str:
    """One key for one page: query order, fragments, escaping and session identifiers
    (crawler/visit_ids.py) do not make a new URL.
    Cached: a page is keyed five to seven times between being named and settled (the ledger,
    the trap detector), and canonicalize_url takes 5 us for an ASCII URL, 40 for a Thai one."""
    return address_key(without_visit_ids(url))


def address_key(url: str) -> str:
    """One key for one address as written, sessions included: a redirect from a page to itself
    with a session identifier added (as Java sites answer a first visit) is no loop.
    A malformed address (see unrequestable) is its own key: it is recorded, never requested."""
    try:
        return canonicalize_url(url)
    except ValueError:
        return url


@dataclass
class Ledger:
    """The URLs routes named as possible articles in one run, and which of them are settled."""

    routes: dict[str, frozenset[str]] = field(default_factory=dict)  # key -> the routes that named it
    settled: set[str] = field(default_factory=set)
    # Each set of routes once, shared by every URL it named: a set of its own for each of a
    # million URLs a site's sitemaps named took 200 MB.
    route_sets: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def name(self, url: str, route: str) -> bool:
        """Record that `route` named `url`; True the first time the URL is named at all."""
        key = url_key(url)
        named = self.routes.get(key, frozenset())
        if route not in named:
            routes = named | {route}
            self.routes[key] = self.route_sets.setdefault(routes, routes)
        return not named

    def is_candidate(self, url: str) -> bool:
        """Named by a route that lists articles (not only linked from a listing)."""
        return not self.routes.get(url_key(url), frozenset()).isdisjoint(CANDIDATE_ROUTES)

    def settle(self, url: str) -> None:
        self.settled.add(url_key(url))

    def unsettled(self) -> list[str]:
        return sorted(set(self.routes) - self.settled)


def unreadable_reason(response: Response) -> tuple[str, str] | None:
    """Why a 200 answer cannot be an article page: empty, or not HTML (by type or by bytes)."""
    if not response.body.strip():
        return EMPTY, "empty page"
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    if not isinstance(response, TextResponse):
        return NOT_HTML, f"not HTML: {content_type or 'no Content-Type'}"
    if b"\x00" in response.body[:BINARY_SNIFF_BYTES]:
        return NOT_HTML, f"not HTML: binary bytes served as {content_type or 'text'}"
    return None


def no_longer_article(final_url: str) -> str:
    """Why an archived article's address was not archived again: it answers with a page that is
    not an article (the archived version is kept, and the next run asks again)."""
    return (
        f"an archived article's address now answers with a page that is not an article ({final_url}): "
        "a maintenance, block, login or not-found page, or the post was taken down; the archived version is kept"
    )
