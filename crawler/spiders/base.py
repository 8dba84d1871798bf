"""NewsSpider: finds every article of a news site through the four routes news sites offer.

Routes: sitemaps (robots.txt `Sitemap:` lines, sitemap indexes), RSS/Atom feeds, the
WordPress REST API, and paginated listings (home, categories). Whatever route finds a URL,
the page itself decides whether it is an article (crawler/pagetype.py), so tag, author and
static pages never reach the archive. Site modules subclass a CMS family (cms.py) and only
declare attributes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, cast
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from crawler import discovery
from crawler.attachment_requests import AttachmentRequests
from crawler.discovery import DENY, ROUTES, USUAL_SITEMAPS, WP_API_POSTS
from crawler.extract import ExtractionRules
from crawler.incremental import Revisits
from crawler.items import FetchedPage, NotArchived, NotModified, headers_of
from crawler.kinds import BAD_URL, KNOWN, NOT_ARTICLE, NOT_ARTICLE_NOW, NOT_HTML, OFFSITE, TOO_LARGE
from crawler.outcomes import (
    PAGE,
    Ledger,
    no_longer_article,
    storable,
    unreadable_reason,
    unrequestable,
    url_key,
)
from crawler.outcomes import source_url as outcome_source
from crawler.page_cache import not_article
from crawler.pagetype import kind_of
from crawler.robots import ROBOTS_SETTING, robots_head
from crawler.spiders.accounting import AccountingSpider
from crawler.traps import Trap, TrapDetector, TrapRules
from crawler.visit_ids import without_visit_ids

REQUIRED = ("name", "agency", "base_url")
LINKS_SETTING = "GOVARCHIVE_MAX_PAGE_LINKS"  # the pages one sitemap, feed or listing may name
# The run's, summed over the workers sharing it: whether the sitemap route found any is said at
# its end (crawler/run.py), as a run that archived nothing would otherwise give no hint why.
SITEMAPS_SOUGHT = "govarchive/sitemaps_sought"  # robots.txt read (or missing), its sitemaps asked for
SITEMAPS_NAMING = "govarchive/sitemaps_naming"  # sitemaps read that named a page or sitemap


class IncompleteSiteError(TypeError):
    """A site module is missing a required declaration."""


class NewsSpider(AccountingSpider):
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
    info_selectors: tuple[str, ...] = ()  # read for dates and terms, then out of the text
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
        known_traps: dict[str, Trap] | None = None,
        trap_rules: TrapRules | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._check_declarations()
        self.revisits = revisits or Revisits()
        self.crawl_run = crawl_run
        self.seen: set[str] = set()  # discovery pages requested (ledger keys)
        self.ledger = Ledger()  # possible articles named, and which are settled (crawler/outcomes.py)
        self.traps = TrapDetector(trap_rules or TrapRules(), known_traps)
        self.known_skipped: set[str] = set()  # archived pages not fetched again (crawler/incremental.py)
        self.files: AttachmentRequests | None = None  # set with the crawler: its settings say which
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
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, trap_rules=TrapRules.from_settings(crawler.settings), **kwargs)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        spider.files = AttachmentRequests(crawler, spider.revisits, spider.site_id, spider.crawl_run)
        return cast(NewsSpider, spider)

    @classmethod
    def rules(cls) -> ExtractionRules:
        """What this site's family adds to extraction; also used by re-extraction, offline."""
        return ExtractionRules(
            cleanup_selectors=tuple(cls.cleanup_selectors),
            info_selectors=tuple(cls.info_selectors),
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
    def max_links(self) -> int:
        return self.settings.getint(LINKS_SETTING)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    # -- start ------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request_or_failure in self.start_requests():
            yield request_or_failure

    def start_requests(self) -> Iterator[Request | NotArchived]:
        if self.files is not None:  # files an earlier run's articles hold and it stopped before fetching
            owed = self.revisits.owed_files
            yield from self.files.requests(self.files.keep(owed, self, limit=len(owed) or 1), self)
        if self.revisits.refresh:  # every known article, even those no route lists any more
            for url in sorted({page.url for page in self.revisits.known.values()}):
                yield from self.page_request(url, "sitemap")
        if "sitemap" in self.routes:
            yield from self.discover(self.url("robots.txt"), self.parse_robots, errback=self.on_robots_error)
            for url in self.sitemap_urls:
                yield from self.discover(self.url(url), self.parse_sitemap)
        if "feed" in self.routes:
            for url in self.feed_urls:
                yield from self.discover(self.url(url), self.parse_feed)
        if "api" in self.routes:
            yield from self.discover(self.url(WP_API_POSTS.format(page=1)), self.parse_api, page=1)
        if "listings" in self.routes or "feed" in self.routes:
            for url in self.listing_urls:
                yield from self.discover(self.url(url), self.parse_listing)

    def discover(
        self, url: str, callback: Callable[..., Any], errback: Callable[..., Any] | None = None, **cb_kwargs: Any
    ) -> Iterator[Request | NotArchived]:
        """Sitemaps, feeds, API pages, listings: a missing one is normal, not a failure; one
        that hits a bound or a trap is recorded.

        These go through Scrapy's HTTP cache, so a re-crawl revalidates them (304)."""
        url = without_visit_ids(url)
        if (malformed := unrequestable(url)) is not None:
            yield self.not_archived(storable(url), BAD_URL, malformed)
            return
        key = url_key(url)
        if key in self.seen:
            return
        self.seen.add(key)
        trap = self.traps.check_discovery(url)
        if trap is not None:
            yield from self.refuse(url, trap)
            return
        meta = {"download_maxsize": self.settings.getint("GOVARCHIVE_SITEMAP_MAXSIZE")} if "sitemap" in url else {}
        errback = errback or self.on_discovery_error
        yield Request(url, callback=callback, cb_kwargs=cb_kwargs, errback=errback, meta=meta)

    # -- discovery routes -------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[Request | NotArchived]:
        head, _ = robots_head(response.body, self.settings.getint(ROBOTS_SETTING))  # as Scrapy's check reads it
        yield from self.sitemaps(list(sitemap_urls_from_robots(head, base_url=response.url)))

    def on_robots_error(self, failure: Failure) -> Iterator[Request | NotArchived]:
        """No robots.txt (404): nothing is forbidden and no sitemap named. (A robots.txt that
        gets no answer forbids everything: crawler/robots.py ends the crawl.)"""
        yield from self.on_discovery_error(failure)
        yield from self.sitemaps([])

    def sitemaps(self, named: list[str]) -> Iterator[Request | NotArchived]:
        """The sitemaps robots.txt names, else (and unless the site module lists its own) those
        at their usual places: a site need not declare its sitemap, and one that does not would
        otherwise give a sitemap-only crawl nothing."""
        self.crawler.stats.inc_value(SITEMAPS_SOUGHT)
        if not named and not self.sitemap_urls:
            named = [self.url(path) for path in USUAL_SITEMAPS]
            self.logger.info("robots.txt names no sitemap: trying %s", ", ".join(named))
        for url in named:
            yield from self.discover(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request | NotArchived]:
        shape = self.traps.walked(response.url)
        maxsize = self.settings.getint("GOVARCHIVE_SITEMAP_MAXSIZE")
        try:
            sitemap = discovery.sitemap_entries(response.body, maxsize, self.max_links)
        except _DecompressionMaxSizeExceeded:
            reason = f"too large: sitemap over {maxsize:,} bytes while decompressing"
            yield self.not_archived(response.url, TOO_LARGE, reason, bound="GOVARCHIVE_SITEMAP_MAXSIZE")
            return
        except Exception as error:  # lxml raises several types on bad XML, gzip on a bad file
            self.logger.warning("unreadable sitemap %s: %s", response.url, str(error) or "no XML document in it")
            return
        if sitemap.cut:
            yield self.too_many_links(response.url)
        locations = [(discovery.page_location(response.url, loc), lastmod) for loc, lastmod in sitemap.locations]
        if locations:  # a soft 404's HTML at a usual sitemap place names none
            self.crawler.stats.inc_value(SITEMAPS_NAMING)
        self.traps.named("sitemap", shape, [loc for loc, _ in locations], self.revisits.is_known)
        for loc, lastmod in locations:
            if sitemap.index:
                yield from self.discover(loc, self.parse_sitemap)
            else:
                yield from self.page_request(loc, "sitemap", lastmod=lastmod)

    def parse_feed(self, response: Response) -> Iterator[Request | NotArchived]:
        if not isinstance(response, TextResponse):
            self.logger.warning("unreadable feed %s: not text", response.url)
            return
        links = discovery.feed_links(response)
        if len(links) > self.max_links:
            yield self.too_many_links(response.url)
        for link in links[: self.max_links]:
            yield from self.page_request(link, "feed")

    def parse_api(self, response: Response, page: int) -> Iterator[Request | NotArchived]:
        shape = self.traps.walked(response.url)
        links = discovery.api_links(response) if isinstance(response, TextResponse) else None
        if links is None:
            self.logger.info("no WordPress API at %s", response.url)
            return
        self.traps.named("api", shape, links, self.revisits.is_known)
        for link in links:
            yield from self.page_request(link, "api")
        if page < discovery.api_pages(response) and not self.only_known(links):
            yield from self.discover(self.url(WP_API_POSTS.format(page=page + 1)), self.parse_api, page=page + 1)

    def parse_listing(self, response: Response) -> Iterator[Request | NotArchived]:
        """Home and listing pages: feeds announced in <head>, then (listings route) every link."""
        if not isinstance(response, TextResponse):
            return
        shape = self.traps.walked(response.url)
        if "feed" in self.routes:
            for feed in discovery.announced_feeds(response):
                yield from self.discover(feed, self.parse_feed)
        if "listings" not in self.routes:
            return
        found = discovery.listing(response, self.links, self.on_site, self.max_links)
        if found.cut:
            yield self.too_many_links(response.url)
        self.traps.named("listing", shape, found.content, self.revisits.is_known)
        if self.only_known(found.content):
            return  # an incremental crawl has reached what it already holds: stop paging
        for url in found.next_pages:
            yield from self.discover(url, self.parse_listing)
        for url in found.links:
            yield from self.page_request(url, "listing")

    def only_known(self, links: list[str]) -> bool:
        """An incremental crawl stops paging when a page links only to what it already has."""
        if self.revisits.refresh or not any(map(self.revisits.is_known, links)):
            return False
        return all(self.revisits.is_known(url) or url_key(url) in self.ledger.routes for url in links)

    def on_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    # -- pages ------------------------------------------------------------------------
    def page_request(self, url: str, route: str, lastmod: str | None = None) -> Iterator[Request | NotArchived]:
        """A request for a possible article named by `route`, unless it is malformed, another
        host's, known and unchanged, a trap, or named before (the ledger then only notes the route).
        A session identifier the site wrote into the address is left out of the request."""
        url = without_visit_ids(url)
        if (malformed := unrequestable(url)) is not None:
            yield self.not_archived(storable(url), BAD_URL, malformed)
            return
        key = url_key(url)
        if key in self.seen:  # a discovery page, not a possible article
            return
        first = self.ledger.name(url, route)
        if not (first or key in self.known_skipped):
            return
        if not self.on_site(url):  # Scrapy would drop it without a word, and the run count it lost
            self.ledger.settle(url)
            self.count_skip(OFFSITE)
            return
        decision = self.revisits.decide(url, lastmod)
        if decision == "skip":
            if first:
                self.ledger.settle(url)
                self.known_skipped.add(key)
                self.count_skip(KNOWN)
                self.traps.found_article(url)
            return
        if not first:  # skipped as known, until a sitemap's lastmod said it changed
            self.known_skipped.discard(key)
            self.count_skip(KNOWN, -1)
        if self.frontier_full():  # named, so left to the next run, as the budget stops this one first
            return
        trap = self.traps.check(url)
        if trap is not None:
            yield from self.refuse(url, trap)
            return
        meta: dict[str, Any] = {PAGE: True}  # cached only if it is no article (crawler/page_cache.py)
        headers = {}
        if decision == "conditional":
            headers = self.revisits.conditional_headers(url)
            meta["handle_httpstatus_list"] = [304]
        yield Request(url, callback=self.parse_page, errback=self.on_page_error, meta=meta, headers=headers)

    def too_many_links(self, url: str) -> NotArchived:
        """A sitemap, feed or listing naming more pages than a page may: the first are followed."""
        reason = f"too many links: only the first {self.max_links:,} followed"
        return self.not_archived(url, TOO_LARGE, reason, bound=LINKS_SETTING)

    def parse_page(self, response: Response) -> Iterator[Any]:
        source_url = outcome_source(response.request) if response.request else response.url
        self.ledger.settle(source_url)
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if response.status == 304:
            yield NotModified(url=source_url, site=self.site_id, fetched_at=fetched_at, crawl_run=self.crawl_run)
            return
        unreadable = unreadable_reason(response)
        if unreadable is not None:
            kind, reason = unreadable
            if kind == NOT_HTML and not self.ledger.is_candidate(source_url):
                self.count_skip(NOT_HTML)  # a listing's link to a file: not an article, nothing lost
                self.crawler.signals.send_catch_log(not_article, response=response)
                return
            yield self.not_archived(source_url, kind, reason, response.status)
            return
        assert isinstance(response, TextResponse)
        kind = kind_of(response.body, response.url, self.article_pattern, lambda: response.selector)
        if kind == "article":
            self.traps.found_article(source_url)
            yield FetchedPage(
                source_url=source_url,
                final_url=response.url,
                http_status=response.status,
                body=response.body,
                headers=headers_of(response),
                site=self.site_id,
                agency=self.agency,
                fetched_at=fetched_at,
                crawl_run=self.crawl_run,
            )
            return
        if self.revisits.is_known(source_url):
            yield self.not_archived(source_url, NOT_ARTICLE_NOW, no_longer_article(response.url), response.status)
        else:
            self.count_skip(NOT_ARTICLE)
            self.crawler.signals.send_catch_log(not_article, response=response)
        if kind == "listing":
            yield from self.parse_listing(response)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        """A file an article holds (crawler/attachments.py), requested by the extraction pipeline."""
        assert self.files is not None
        yield from self.files.parse(response)

    def on_attachment_error(self, failure: Failure) -> Iterator[Any]:
        assert self.files is not None
        yield from self.files.error(failure)
