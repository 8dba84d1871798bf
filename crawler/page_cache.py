"""Scrapy's HTTP cache, kept for every page that is not an article.

Discovery pages (sitemaps, feeds, listings) and the pages a crawl finds are no articles (about,
contact, a category a sitemap names) are revalidated on the next run with a 304 instead of
downloaded again. Articles are not cached: their capture goes to WARC, and a known article is
revalidated from the archive's own validators (crawler/incremental.py), so caching them would
store each one twice.

A cached page is never fresh (`Revalidating`): each run asks the site again, conditionally.
RFC 2616 caching would have a crawl take a sitemap, feed or listing sent with `Cache-Control:
max-age`, `Expires` or an old `Last-Modified` from the cache without asking, for hours or days,
and miss the articles published meanwhile.

Whether a page is an article is known only once the spider has read it, after the cache has
seen the response; so a page's first-hand response is not stored on its way in, and the spider
hands back the ones that are no article (`keep`). Deciding by the route that named the page
instead made the cache depend on which route came first: a page a sitemap and a listing both
name was downloaded again on some re-crawls and not on others.

A page no run has asked for in HTTPCACHE_EXPIRATION_SECS leaves the cache (`PageStore`):
Scrapy's storage only ignores an expired entry and never deletes one, so calendar pages fetched
before a trap was found, listings of a section the site removed, addresses with a nonce, all
stayed on disk for good, for as long as cron crawls the site. An entry a killed run left
half-written is a miss, and is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.http import Response

from crawler.outcomes import PAGE

log = logging.getLogger(__name__)
not_article = object()  # signal, sent with `response`: a page the spider found is no article


class PageCache(HttpCacheMiddleware):
    """Scrapy's cache middleware, storing a page's first-hand response only once the spider has
    found it no article (`keep`); everything else as Scrapy does."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageCache:
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.keep, signal=not_article)
        return middleware

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        first_hand = "cached_response" not in request.meta and "cached" not in response.flags
        if request.meta.get(PAGE) and first_hand:
            request.meta.pop("_dont_cache", None)
            return response  # stored by `keep` if it is no article
        return super().process_response(request, response)

    def keep(self, response: Response) -> None:
        """Store a page's first-hand response, as the cache would have on its way in."""
        request = response.request
        if request is None or "cached" in response.flags or not self.policy.should_cache_request(request):
            return
        if self.policy.should_cache_response(response, request):
            self.storage.store_response(self.crawler.spider, request, response)


class Revalidating(RFC2616Policy):
    """RFC 2616 caching in which a stored page is stale at once, so always revalidated."""

    def _compute_freshness_lifetime(self, response: Response, request: Request, now: float) -> float:
        return 0.0


class PageStore(FilesystemCacheStorage):
    """Scrapy's file-system storage, in which an entry a run reads is renewed, and the entries
    no run has read or stored for the expiration time are removed when a run ends. Scrapy
    dates an entry by when it was stored, and a 304 does not store it again: without the
    renewal, a listing revalidated every day would expire all the same."""

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        entry = Path(self._get_request_path(spider, request))
        try:
            response = super().retrieve_response(spider, request)
        except Exception as error:  # whatever a torn file raises: EOFError, pickle's, zlib's
            self._unreadable(entry, request, error)
            return None
        if response is not None:
            with contextlib.suppress(OSError):  # read-only or removed meanwhile: only not renewed
                os.utime(entry / "pickled_meta")
        return response

    def _unreadable(self, entry: Path, request: Request, error: Exception) -> None:
        """An entry a killed run left half-written is a miss, said in one line (Scrapy's
        middleware logs a traceback), and goes: the page, fetched again, is stored whole."""
        log.warning("cache: unreadable entry for %s (%s: %s): fetched again", request.url, type(error).__name__, error)
        shutil.rmtree(entry, ignore_errors=True)

    def close_spider(self, spider: Spider) -> None:
        if self.expiration_secs > 0:
            removed = remove_unused(Path(self.cachedir, spider.name), time.time() - self.expiration_secs)
            if removed:
                log.info("cache: %d pages no run asked for in %g days removed", removed, self.expiration_secs / 86400)


def remove_unused(folder: Path, before: float) -> int:
    """Removes the entries (Scrapy's <fingerprint prefix>/<fingerprint> folders) last read or
    stored before `before`; returns how many."""
    removed = 0
    for meta in folder.glob("*/*/pickled_meta"):
        with contextlib.suppress(FileNotFoundError):
            if meta.stat().st_mtime < before:
                shutil.rmtree(meta.parent, ignore_errors=True)
                removed += 1
    return removed
