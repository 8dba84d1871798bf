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
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

from crawler.outcomes import PAGE

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
