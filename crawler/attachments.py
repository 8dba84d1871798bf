"""Which files of an article page are kept with it: the documents it links on the agency's own
site (PDF, Word, Excel, PowerPoint, ODF) and its images (the lead image first).

Only the post counts: a theme's sidebars, menus and "related post" blocks link the same files
from every page. The post is the element the site's family names (`post_selectors`), without
the parts its cleanup rules remove; on a page without one, the page without its header, menus,
sidebars and footer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector, SelectorList
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from crawler.incremental import Revisits
from crawler.items import AttachmentFailed, AttachmentUnchanged, FetchedAttachment
from crawler.outcomes import BUDGET, EMPTY, ROBOTS, TOO_LARGE, classify
from crawler.outcomes import source_url as outcome_source

DOCUMENT = "document"
IMAGE = "image"
LEAD_IMAGE = "lead image"
DOCUMENT_EXTENSIONS = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp)$", re.IGNORECASE)
LEAD_IMAGE_SELECTORS = ('meta[property="og:image"]::attr(content)', 'meta[name="twitter:image"]::attr(content)')
OUTSIDE_THE_POST = ("header", "nav", "footer", "aside", ".sidebar", "#sidebar", ".widget")
ROLES = {"documents": (DOCUMENT,), "images": (LEAD_IMAGE, IMAGE)}  # GOVARCHIVE_ATTACHMENTS's words
ATTACHMENT = "govarchive_attachment"  # request meta: the request fetches an attachment


@dataclass(frozen=True)
class AttachmentRef:
    """A file an article links or shows, and what it is to the article."""

    url: str
    role: str  # DOCUMENT, IMAGE or LEAD_IMAGE


def attachment_refs(
    page: Selector,
    page_url: str,
    on_site: Callable[[str], bool],
    post_selectors: tuple[str, ...],
    cleanup_selectors: tuple[str, ...],
    limit: int,
) -> list[AttachmentRef]:
    """The files to keep with the article at `page_url`, lead image first, each once, at most
    `limit`; `on_site(url)` says whether a URL is on the agency's own site."""
    post, outside = _post(page, post_selectors, cleanup_selectors)
    links = ", ".join(f"{selector} a::attr(href), {selector} img::attr(src)" for selector in outside)
    excluded = set(post.css(links).getall()) if links else set()
    refs: list[AttachmentRef] = []
    seen: set[str] = set()

    def add(link: str | None, role: str) -> None:
        if not link or link in excluded or len(refs) >= limit:
            return
        url = urljoin(page_url, link.strip()).split("#", 1)[0]
        if url not in seen and urlsplit(url).scheme in ("http", "https") and on_site(url):
            seen.add(url)
            refs.append(AttachmentRef(url, role))

    add(next(filter(None, (page.css(s).get() for s in LEAD_IMAGE_SELECTORS)), None), LEAD_IMAGE)
    for href in post.css("a::attr(href)").getall():
        if DOCUMENT_EXTENSIONS.search(urlsplit(href.strip()).path):
            add(href, DOCUMENT)
    for src in post.css("img::attr(src)").getall():
        add(src, IMAGE)
    return refs


def _post(
    page: Selector, post_selectors: tuple[str, ...], cleanup_selectors: tuple[str, ...]
) -> tuple[Selector | SelectorList[Selector], tuple[str, ...]]:
    """The post's element and what inside it is not the post; else the page and its chrome."""
    for selector in post_selectors:
        found = page.css(selector)
        if len(found) == 1:
            return found[0], cleanup_selectors
    return page, OUTSIDE_THE_POST + cleanup_selectors


@dataclass
class AttachmentFetcher:
    """The spider's side: one request per file per run (a file many articles hold is fetched
    once), known files skipped or re-validated (crawler/incremental.py), the run's byte bound
    kept; answers and errors become items for the pipelines."""

    crawler: Crawler  # its stats exist only once the crawl starts
    revisits: Revisits
    site: str
    crawl_run: int | None
    requested: set[str] = field(default_factory=set)
    fetched_bytes: int = 0

    @property
    def roles(self) -> set[str]:
        kinds = [k.strip() for k in self.settings.get("GOVARCHIVE_ATTACHMENTS", "").split(",") if k.strip()]
        return {role for kind in kinds for role in ROLES.get(kind, ())}

    def refs(self, page: Selector, url: str, on_site: Callable[[str], bool], spider: Any) -> list[AttachmentRef]:
        """The article's files of the kinds this crawl keeps."""
        roles = self.roles
        if not roles:
            return []
        limit = self.settings.getint("GOVARCHIVE_ATTACHMENTS_PER_ARTICLE")
        found = attachment_refs(page, url, on_site, spider.post_selectors, spider.cleanup_selectors, limit)
        return [ref for ref in found if ref.role in roles]

    def requests(
        self, refs: list[AttachmentRef], callback: Callable[..., Any], errback: Callable[..., Any]
    ) -> Iterator[Request | AttachmentFailed]:
        for ref in refs:
            if ref.url in self.requested:
                continue
            self.requested.add(ref.url)
            decision = self.revisits.decide_attachment(ref.url)
            if decision == "skip":
                self.count("known")
                continue
            budget = self.settings.getint("GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN")
            if self.fetched_bytes >= budget:
                reason = f"budget: this run fetched {budget:,} bytes of attachments already"
                yield self.failed(ref.url, BUDGET, reason, bound="GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN")
                continue
            meta: dict[str, Any] = {
                ATTACHMENT: ref.role,
                "dont_cache": True,
                "download_maxsize": self.settings.getint("GOVARCHIVE_ATTACHMENT_MAXSIZE"),
            }
            headers = {}
            if decision == "conditional":
                headers = self.revisits.attachment_headers(ref.url)
                meta["handle_httpstatus_list"] = [304]
            yield Request(ref.url, callback=callback, errback=errback, meta=meta, headers=headers, priority=-1)

    def parse(self, response: Response) -> Iterator[FetchedAttachment | AttachmentUnchanged | AttachmentFailed]:
        url = outcome_source(response.request) if response.request else response.url
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if response.status == 304:
            self.count("unchanged")
            yield AttachmentUnchanged(url, fetched_at, self.crawl_run)
            return
        if not response.body:
            yield self.failed(url, EMPTY, "attachment: empty file", response.status)
            return
        self.fetched_bytes += len(response.body)
        self.count("fetched")
        self.count("bytes", len(response.body))
        yield FetchedAttachment(
            url=url,
            final_url=response.url,
            http_status=response.status,
            body=response.body,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
            site=self.site,
            fetched_at=fetched_at,
            crawl_run=self.crawl_run,
        )

    def error(self, failure: Failure) -> Iterator[AttachmentFailed]:
        maxsize = self.settings.getint("GOVARCHIVE_ATTACHMENT_MAXSIZE")
        verdict = classify(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"), maxsize)
        if verdict.kind == ROBOTS:
            self.count("robots")
            return
        bound = "GOVARCHIVE_ATTACHMENT_MAXSIZE" if verdict.kind == TOO_LARGE else verdict.setting
        url = outcome_source(failure.request)  # type: ignore[attr-defined]
        yield self.failed(url, verdict.kind, f"attachment: {verdict.reason}", verdict.http_status, bound)

    def failed(
        self, url: str, kind: str, reason: str, status: int | None = None, bound: str | None = None
    ) -> AttachmentFailed:
        return AttachmentFailed(url, self.site, reason, kind, status, bound, self.crawl_run)

    def count(self, name: str, value: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"govarchive/attachments/{name}", value)

    @property
    def settings(self) -> Settings:
        return self.crawler.settings
