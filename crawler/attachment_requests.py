"""The crawl's side of attachments: requests for the files an article holds, their answers
and errors as items. One request per file per run (a file many articles hold is fetched once);
a known file is skipped until due, then re-validated (crawler/incremental.py); the run's bytes
of files are bounded by crawler/budget.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from crawler.attachments import ATTACHMENT, ROLES, AttachmentRef, chosen
from crawler.incremental import Revisits
from crawler.items import AttachmentFailed, AttachmentUnchanged, FetchedAttachment, headers_of
from crawler.kinds import EMPTY, ROBOTS, TOO_LARGE
from crawler.outcomes import classify
from crawler.outcomes import source_url as outcome_source


@dataclass
class AttachmentRequests:
    """Held by the spider; the extraction pipeline hands it each article's files."""

    crawler: Crawler  # its stats exist only once the crawl starts
    revisits: Revisits
    site: str
    crawl_run: int | None
    requested: set[str] = field(default_factory=set)

    @property
    def settings(self) -> Settings:
        return self.crawler.settings

    @property
    def roles(self) -> set[str]:
        kinds = [k.strip() for k in self.settings.get("GOVARCHIVE_ATTACHMENTS", "").split(",") if k.strip()]
        return {role for kind in kinds for role in ROLES.get(kind, ())}

    def keep(self, candidates: list[tuple[str, str]], spider: Any, limit: int | None = None) -> list[AttachmentRef]:
        """The article's files this crawl keeps: of its kinds, on the agency's site, bounded."""
        limit = limit or self.settings.getint("GOVARCHIVE_ATTACHMENTS_PER_ARTICLE")
        return chosen(candidates, self.roles, spider.on_site, limit)

    def requests(self, refs: list[AttachmentRef], spider: Any) -> Iterator[Request]:
        """A request for each file not requested in this run yet, unless archived and not due."""
        for ref in refs:
            if ref.url in self.requested:
                continue
            self.requested.add(ref.url)
            decision = self.revisits.decide_attachment(ref.url)
            if decision == "skip":
                self.count("known")
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
            callback, errback = spider.parse_attachment, spider.on_attachment_error
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
        self.count("fetched")
        self.count("bytes", len(response.body))
        yield FetchedAttachment(
            url=url,
            final_url=response.url,
            http_status=response.status,
            body=response.body,
            headers=headers_of(response),
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
