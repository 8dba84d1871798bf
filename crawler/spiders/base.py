"""NewsSpider: finds every article of a news site through the four routes news sites offer.

Routes: sitemaps (robots.txt `Sitemap:` lines, sitemap indexes), RSS/Atom feeds, the
WordPress REST API, and paginated listings (home, categories). Whatever route finds a URL,
the page itself decides whether it is an article (crawler/pagetype.py), so tag, author and
static pages never reach the archive. Site modules subclass a CMS family (cms.py) and only
declare attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from crawler.extract import ExtractionRules
from crawler.incremental import Revisits
from crawler.items import FetchedPage, FetchFailure, NotModified
from crawler.pagetype import page_kind, quick_kind

ROUTES = ("sitemap", "feed", "api", "listings")
REQUIRED = ("name", "agency", "base_url")
WP_API_POSTS = "wp-json/wp/v2/posts?per_page=100&page={page}"
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
# Never archive targets: admin, login, feeds, comment replies, search, API, uploads.
DENY = (r"/wp-(admin|login|json|content|includes)", r"/feed/?", r"[?&](replytocom|s|share)=", r"/xmlrpc\.php")
PAGE_NUMBER = re.compile(r"/page/\d+/?$|[?&]paged?=\d+")
PAGINATION = ('link[rel="next"]::attr(href)', 'a[rel="next"]::attr(href)', "a.next::attr(href)")


class IncompleteSiteError(TypeError):
    """A site module is missing a required declaration."""


class NewsSpider(scrapy.Spider):
    """Generic news-site spider; subclasses declare a site, `--url` gives one at run time."""

    # Declarations (a site module sets these; see crawler/spiders/cdd.py).
    agency: str = ""
    agency_en: str = ""
    base_url: str = ""
    language: str = ""
    timezone: str = "Asia/Bangkok"
    cms: ClassVar[str] = "generic"
    routes: tuple[str, ...] = ROUTES
    sitemap_urls: tuple[str, ...] = ()  # besides those named in robots.txt
    feed_urls: tuple[str, ...] = ("feed/",)
    listing_urls: tuple[str, ...] = ("",)  # relative to base_url; "" is the home page
    article_url_pattern: str | None = None
    cleanup_selectors: tuple[str, ...] = ()
    date_selectors: tuple[str, ...] = ()
    category_selectors: tuple[str, ...] = ()
    tag_selectors: tuple[str, ...] = ()
    post_selectors: tuple[str, ...] = ()  # the element holding the whole post on an article page
    expected_interval_days: int = 7  # `govarchive check` alerts when no new article for longer
    boilerplate: tuple[str, ...] = ()  # phrases of the theme that must never reach a body
    verified: bool = False  # True only when tests/files/<name>/ holds a recording that passes
    platform_notes: str = ""  # what is known of the site's CMS and discovery routes, and how

    def __init__(
        self,
        *args: Any,
        revisits: Revisits | None = None,
        crawl_run: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._check_declarations()
        self.revisits = revisits or Revisits()
        self.crawl_run = crawl_run
        self.seen: set[str] = set()
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        if not getattr(self, "allowed_domains", None):
            self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        if isinstance(self.routes, str):
            self.routes = tuple(r for r in self.routes.split(",") if r)
        self.article_pattern = re.compile(self.article_url_pattern) if self.article_url_pattern else None
        # LinkExtractor's allow_domains misses IP hosts (127.0.0.1); see on_site() instead.
        self.links = LinkExtractor(deny=DENY, unique=True)
        self.extraction_rules = self.rules()

    @classmethod
    def rules(cls) -> ExtractionRules:
        """What this site's family adds to extraction; also used by re-extraction, offline."""
        return ExtractionRules(
            cleanup_selectors=tuple(cls.cleanup_selectors),
            date_selectors=tuple(cls.date_selectors),
            timezone=cls.timezone,
            category_selectors=tuple(cls.category_selectors),
            tag_selectors=tuple(cls.tag_selectors),
            post_selectors=tuple(cls.post_selectors),
        )

    def _check_declarations(self) -> None:
        missing = [attr for attr in REQUIRED if not getattr(self, attr, None)]
        if missing:
            raise IncompleteSiteError(
                f"site {type(self).__name__} must declare {', '.join(missing)} "
                f"(for a site without a module: govarchive crawl --url BASE_URL)"
            )
        unknown = set(self.routes) - set(ROUTES) if not isinstance(self.routes, str) else set()
        if unknown:
            raise IncompleteSiteError(f"site {self.name}: unknown routes {sorted(unknown)}; use {ROUTES}")

    @property
    def site_id(self) -> str:
        """What the archive's `site` column holds: the spider name; for --url, the host."""
        return self.name

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    # -- start ------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[Request]:
        if self.revisits.refresh:  # every known article, even those no route lists any more
            for url in sorted({page.url for page in self.revisits.known.values()}):
                yield from self.page_request(url)
        if "sitemap" in self.routes:
            yield self.discovery_request(self.url("robots.txt"), self.parse_robots)
            for url in self.sitemap_urls:
                yield self.discovery_request(self.url(url), self.parse_sitemap)
        if "feed" in self.routes:
            for url in self.feed_urls:
                yield self.discovery_request(self.url(url), self.parse_feed)
        if "api" in self.routes:
            yield self.discovery_request(self.url(WP_API_POSTS.format(page=1)), self.parse_api, page=1)
        if "listings" in self.routes or "feed" in self.routes:
            for url in self.listing_urls:
                yield self.discovery_request(self.url(url), self.parse_listing)

    def discovery_request(self, url: str, callback: Callable[..., Any], **cb_kwargs: Any) -> Request:
        """Sitemaps, feeds, API pages, listings: a missing one is normal, not a failure.

        These go through Scrapy's HTTP cache, so a re-crawl revalidates them (304)."""
        self.seen.add(url)
        return Request(url, callback=callback, cb_kwargs=cb_kwargs, errback=self.on_discovery_error)

    # -- discovery routes -------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            yield self.discovery_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        body = gunzip(response.body) if response.body[:2] == b"\x1f\x8b" else response.body
        try:
            sitemap = Sitemap(body)
        except Exception as error:  # lxml raises several types on bad XML
            self.logger.warning("unreadable sitemap %s: %s", response.url, error)
            return
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self.discovery_request(loc, self.parse_sitemap)
            else:
                yield from self.page_request(loc, lastmod=entry.get("lastmod"))

    def parse_feed(self, response: Response) -> Iterator[Request]:
        feed = Selector(text=response.text, type="xml")
        feed.remove_namespaces()
        links = feed.xpath("//item/link/text()").getall()
        links += feed.xpath("//entry/link[@rel='alternate' or not(@rel)]/@href").getall()
        for link in links:
            yield from self.page_request(response.urljoin(link.strip()))

    def parse_api(self, response: Response, page: int) -> Iterator[Request]:
        try:
            posts = json.loads(response.text)
        except ValueError:
            self.logger.info("no WordPress API at %s", response.url)
            return
        links = [p["link"] for p in posts if isinstance(p, dict) and p.get("link")] if isinstance(posts, list) else []
        for link in links:
            yield from self.page_request(link)
        total_pages = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if page < total_pages and not self.only_known(links):
            yield self.discovery_request(self.url(WP_API_POSTS.format(page=page + 1)), self.parse_api, page=page + 1)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Home and listing pages: feeds announced in <head>, then (listings route) every link."""
        if not isinstance(response, TextResponse):
            return
        if "feed" in self.routes:
            for href in response.css(
                ", ".join(f'link[rel="alternate"][type="{t}"]::attr(href)' for t in FEED_TYPES)
            ).getall():
                yield self.discovery_request(response.urljoin(href), self.parse_feed)
        if "listings" not in self.routes:
            return
        links = [link.url for link in self.links.extract_links(response) if self.on_site(link.url)]
        next_pages = [response.urljoin(href) for href in response.css(", ".join(PAGINATION)).getall()]
        if self.only_known([u for u in links if u not in next_pages and not PAGE_NUMBER.search(u)]):
            return  # an incremental crawl has reached what it already holds: stop paging
        for url in next_pages:
            yield self.discovery_request(url, self.parse_listing)
        for url in links:
            yield from self.page_request(url, candidate=False)

    def only_known(self, links: list[str]) -> bool:
        """An incremental crawl stops paging when a page links only to what it already has."""
        if self.revisits.refresh or not any(map(self.revisits.is_known, links)):
            return False
        return all(self.revisits.is_known(url) or url in self.seen for url in links)

    def on_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    # -- pages ------------------------------------------------------------------------
    def page_request(self, url: str, candidate: bool = True, lastmod: str | None = None) -> Iterator[Request]:
        """A request for a possible article, unless it is known and unchanged.

        `candidate`: a route named this URL as content, so a fetch error is a failure.
        """
        decision = self.revisits.decide(url, lastmod)
        if decision == "skip" or url in self.seen:
            return
        self.seen.add(url)
        # Pages named by a feed, sitemap or the API are articles: their capture goes to WARC,
        # not to the HTTP cache. Links from listings may be anything (about, contact, tags):
        # cached, so a re-crawl revalidates them with a 304 instead of downloading them again.
        meta: dict[str, Any] = {"candidate": candidate, "dont_cache": candidate}
        headers = {}
        if decision == "conditional":
            headers = self.revisits.conditional_headers(url)
            meta["handle_httpstatus_list"] = [304]
        yield Request(url, callback=self.parse_page, errback=self.on_page_error, meta=meta, headers=headers)

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        source_url = response.meta.get("redirect_urls", [response.url])[0]
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if response.status == 304:
            yield NotModified(url=source_url, site=self.site_id, fetched_at=fetched_at, crawl_run=self.crawl_run)
            return
        kind = quick_kind(response.text) or page_kind(response.selector, response.url, self.article_pattern)
        if kind == "article":
            yield FetchedPage(
                source_url=source_url,
                final_url=response.url,
                http_status=response.status,
                body=response.body,
                encoding=response.encoding,
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
                site=self.site_id,
                agency=self.agency,
                fetched_at=fetched_at,
                crawl_run=self.crawl_run,
            )
        elif kind == "listing":
            yield from self.parse_listing(response)

    # -- errors -----------------------------------------------------------------------
    def on_page_error(self, failure: Failure) -> Iterator[FetchFailure]:
        request = failure.request  # type: ignore[attr-defined]
        if not request.meta.get("candidate"):
            self.logger.debug("skipped link %s: %s", request.url, failure.value)
            return
        status = failure.value.response.status if isinstance(failure.value, HttpError) else None
        reason = f"HTTP {status}" if status else f"{type(failure.value).__name__}: {failure.value}"
        self.logger.warning("could not fetch %s: %s", request.url, reason)
        yield FetchFailure(url=request.url, site=self.site_id, reason=reason, http_status=status)

    def on_discovery_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.logger.info("discovery route not available: %s (%s)", request.url, failure.value)
