"""Downloader middlewares: encoding repair, decompression and redirects in words, network
statistics, retries (Retry-After, bounds), bounds on cookies."""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import BaseRedirectMiddleware, MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure
from w3lib.encoding import read_bom, resolve_encoding

from crawler.attachments import ATTACHMENT
from crawler.encoding import read_body
from crawler.header_bound import headers_too_large
from crawler.kinds import CORRUPT, OFFSITE_REDIRECT, REDIRECT_LOOP, TOO_MANY_REDIRECTS, bound_counter
from crawler.outcomes import Refused, address_key, source_url
from crawler.web_address import WEB_SCHEMES

log = logging.getLogger(__name__)
# Scrapy looks for a meta refresh in a page's first 4,096 characters: at most this many bytes
# in UTF-8, and in any single-byte encoding; pages in wider encodings start with one of these.
META_REFRESH_BYTES = 4 * 4096
WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


class CheckedEncoding(TextResponse):
    """A text response whose encoding is crawler.encoding's choice, made when the page is
    first read as text: an article page is never read so in the crawl's main process (its kind
    is in its bytes, and the extraction worker decodes it), so it is decoded once, there."""

    __slots__ = ()

    def _declared_encoding(self) -> str | None:
        if self._encoding is None:
            header = (self.headers.get(b"Content-Type") or b"").decode("latin-1") or None
            encoding, text = read_body(self.body, header)
            declared = super()._declared_encoding()  # Scrapy's: header, BOM or <meta>
            if declared is not None and resolve_encoding(declared) != resolve_encoding(encoding):
                log.info("%s: declared encoding %s is wrong; read as %s", self.url, declared, encoding)
            self._encoding = encoding
            if text is not None and self._cached_ubody is None and not read_bom(self.body)[0]:
                # Scrapy's own cache of `response.text`, which would decode the body a second
                # time to the same string (w3lib reads a body without a BOM as bytes.decode does)
                self._cached_ubody = text
        return str(self._encoding)


class CheckedHtml(CheckedEncoding, HtmlResponse):
    __slots__ = ()


class CheckedXml(CheckedEncoding, XmlResponse):
    __slots__ = ()


CHECKED: dict[type[Response], type[TextResponse]] = {
    HtmlResponse: CheckedHtml,
    XmlResponse: CheckedXml,
    TextResponse: CheckedEncoding,
}


class EncodingFixMiddleware:
    """Text responses reach the spider as CheckedEncoding ones: read as text, they are correct
    Unicode whatever the header said. After decompression (crawler/settings.py), whose new
    response would drop the choice."""

    def process_response(self, request: Request, response: Response) -> Response:
        checked = CHECKED.get(type(response))
        if checked is None:
            return response
        # Not response.replace(): it reads `encoding`, which for a page declaring none is
        # Scrapy's guess, a decoding of the whole body thrown away here.
        return checked(**{name: getattr(response, name) for name in response.attributes if name != "encoding"})


class NetworkStats:
    """Counts what really crossed the network, below the HTTP cache: full downloads vs 304s."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkStats:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if ATTACHMENT in request.meta:  # files are counted apart: a run's pages are web pages
            self.stats.inc_value("govarchive/attachments/responses")
        elif "cached" not in response.flags:
            if response.status == 304:
                self.stats.inc_value("govarchive/http_304")
            elif response.status == 200:
                self.stats.inc_value("govarchive/downloads")
            elif response.status >= 400:
                self.stats.inc_value(f"govarchive/http_errors/{response.status}")
        return response


class BoundedCookies(CookiesMiddleware):
    """Scrapy's cookies, as a browser keeps them: at most GOVARCHIVE_MAX_COOKIES, each of at most
    GOVARCHIVE_MAX_COOKIE_BYTES (name and value). Past the first bound a new cookie is not kept
    unless it replaces one that is (a session cookie is set first); past the second a cookie's
    new value is not kept, its last one stays. Each refusal counts in the run's bounds; the first
    of each bound is logged."""

    COUNT_SETTING = "GOVARCHIVE_MAX_COOKIES"
    SIZE_SETTING = "GOVARCHIVE_MAX_COOKIE_BYTES"
    max_cookies: int
    max_bytes: int
    stats: StatsCollector

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoundedCookies:
        assert crawler.stats is not None
        middleware = super().from_crawler(crawler)
        middleware.max_cookies = crawler.settings.getint(cls.COUNT_SETTING)
        middleware.max_bytes = crawler.settings.getint(cls.SIZE_SETTING)
        middleware.stats = crawler.stats
        return middleware

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if b"Set-Cookie" not in response.headers:
            return response
        jar = self.jars[request.meta.get("cookiejar")]
        kept = {(c.domain, c.path, c.name): c for c in jar}
        super().process_response(request, response)
        added = 0
        for cookie in list(jar):
            key = (cookie.domain, cookie.path, cookie.name)
            before = kept.get(key)
            if before is cookie:
                continue
            too_large = len(cookie.name) + len(cookie.value or "") > self.max_bytes
            added += before is None and not too_large
            if too_large or (before is None and len(kept) + added > self.max_cookies):
                jar.clear(*key)
                if before is not None:
                    jar.set_cookie(before)
                self._count(response.url, self.SIZE_SETTING if too_large else self.COUNT_SETTING)
        return response

    def _count(self, url: str, setting: str) -> None:
        key = bound_counter(setting)
        if not self.stats.get_value(key):
            log.warning("%s sets cookies past %s: they are not kept", url, setting)
        self.stats.inc_value(key)


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, plus: a 429/503 with Retry-After pauses the whole site that long, and
    a response given up at the header bound is not asked again (it would only repeat)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("GOVARCHIVE_MAX_RETRY_AFTER")
        self.paused_until: dict[str, float] = {}

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until.get(self._slot_key(request), 0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # the crawl runs on asyncio's reactor, as crawler/pace.py

    def process_response(  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        self, request: Request, response: Response
    ) -> Request | Response:
        if response.status in (429, 503):
            seconds = _retry_after_seconds(response.headers.get(b"Retry-After"))
            if seconds is not None:
                wait = min(seconds, self.max_wait)
                log.info(
                    "%s asked to wait %.0f s (Retry-After); pausing %s", response.url, wait, self._slot_key(request)
                )
                self._pause(request, wait)
        return super().process_response(request, response)

    def process_exception(  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, SentBack):
            return request.replace(dont_filter=True)  # to the scheduler: the same request, not a new one
        if headers_too_large(exception) is not None:
            return None
        return super().process_exception(request, exception)

    def _slot_key(self, request: Request) -> str:
        """The site's download slot, as Scrapy's downloader names it (a request not yet queued
        has no `download_slot` in its meta)."""
        assert self.crawler.engine is not None
        return self.crawler.engine.downloader.get_slot_key(request)

    def _pause(self, request: Request, seconds: float) -> None:
        """Requests pass this middleware before they join the site's queue in the downloader,
        so those already queued would go out one per delay while the site asked to wait:
        they go back to the scheduler and wait here with the others. (Held in the queue
        instead, they would be sent one per pause, and a crawl ending would wait for each.)"""
        key = self._slot_key(request)
        self.paused_until[key] = time.monotonic() + seconds
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(key)
        while slot is not None and slot.queue:
            _, waiting = slot.queue.popleft()
            waiting.errback(Failure(SentBack(f"{key} asked to wait")))


class SentBack(IgnoreRequest):
    """A queued request returned to the scheduler while its site asks to wait (an IgnoreRequest:
    not the site's silence, crawler/site_down.py)."""


def _retry_after_seconds(value: bytes | None) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class CheckedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression, with a body that does not decompress as its Content-Encoding
    says refused in words: Scrapy's own let zlib's, gzip's or brotli's error through, and the
    page was recorded as kind `other` ("BadGzipFile: Not a gzipped file")."""

    def process_response(  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        self, request: Request, response: Response
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:  # past DOWNLOAD_MAXSIZE while decompressing: Scrapy's words are kept
            raise
        except Exception as error:  # each codec raises its own: zlib.error, OSError, EOFError, brotli.error
            encoding = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            reason = f"corrupt: the body is not valid {encoding} ({type(error).__name__}: {error})"
            raise Refused(CORRUPT, reason) from error


class AccountableRedirects(BaseRedirectMiddleware):
    """Scrapy's redirects, refused with a reason a person understands: a loop, too many, off the
    site, off the web. Scrapy's own would drop a loop silently (its duplicate filter), leave an
    off-site target to a filter that logs it at DEBUG, and take a redirect to `mailto:` for a
    fault ("ValueError: Missing scheme") and one to `ftp:` for the page's own HTTP 302."""

    def _build_redirect_request(
        self, source_request: Request, response: Response, *, url: str, **kwargs: Any
    ) -> Request:
        if urlsplit(url).scheme not in WEB_SCHEMES:
            raise Refused(OFFSITE_REDIRECT, f"redirect to {url}: not a web page, not followed")
        return super()._build_redirect_request(source_request, response, url=url, **kwargs)

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if address_key(redirected.url) in {address_key(url) for url in chain}:
            raise Refused(REDIRECT_LOOP, f"redirect loop: {redirected.url} redirects back to itself")
        spider = self.crawler.spider
        on_site = getattr(spider, "on_site", None)
        if on_site is not None and not on_site(redirected.url):
            if not _asks_for_the_rules(request):
                host = urlsplit(redirected.url).hostname
                raise Refused(OFFSITE_REDIRECT, f"off-site redirect to {host}: not followed")
            redirected.meta["allow_offsite"] = True  # past Scrapy's offsite filter too
        try:
            followed = super()._redirect(redirected, request, reason)
        except IgnoreRequest as error:
            reason_text = f"too many redirects: more than {self.max_redirect_times}"
            raise Refused(TOO_MANY_REDIRECTS, reason_text, "REDIRECT_MAX_TIMES") from error
        is_known = getattr(getattr(spider, "revisits", None), "is_known", None)
        if is_known is not None and is_known(source_url(request)):
            # An archived article sent where others were sent (the home page, a login, a notice)
            # is judged by what it finds there (crawler/spiders/base.py parse_page), not dropped
            # unrecorded by the duplicate filter as a page fetched already.
            followed.dont_filter = True
        return followed


def _asks_for_the_rules(request: Request) -> bool:
    """Scrapy's own request for a site's robots.txt: RFC 9309 (2.3.1.2) has its redirects
    followed "even across authorities" (http to https, a host to its www name); refused as
    off-site, the rules were never read and everything was allowed."""
    first = request.meta.get("redirect_urls", [request.url])[0]
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(first).path == "/robots.txt"


class AccountableRedirect(AccountableRedirects, RedirectMiddleware):
    """HTTP 3xx Location redirects."""


class AccountableMetaRefresh(AccountableRedirects, MetaRefreshMiddleware):
    """<meta http-equiv="refresh"> redirects. Scrapy reads the start of every HTML page's text
    for one; a page in an ASCII-compatible encoding without the word in the bytes of that start
    has none, and is not decoded for it (an article page is decoded in the extraction worker)."""

    def process_response(  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        self, request: Request, response: Response
    ) -> Request | Response:
        start = response.body[:META_REFRESH_BYTES]
        if not start.startswith(WIDE_BOMS) and b"refresh" not in start.lower():
            return response
        return super().process_response(request, response)
