"""Which known pages a re-crawl fetches again, and how.

A page already archived is skipped, unless the run is a refresh, the site says it changed
since we fetched it (sitemap lastmod), or it is due for a revisit; then it is fetched with
a conditional request (If-None-Match / If-Modified-Since), so an unchanged page costs a 304.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from archive.history import KnownPage
from archive.warc import Original
from crawler.dates import parse_date
from crawler.visit_ids import without_visit_ids

Decision = Literal["fetch", "conditional", "skip"]
# A lastmod later than now by more than this is not believed: a sitemap that dates its pages in
# 2099 had every known article fetched again on every run. Within it, a site's clock or time
# zone a few hours off is.
LASTMOD_AHEAD = timedelta(days=1)


@dataclass
class Revisits:
    known: dict[str, KnownPage] = field(default_factory=dict)
    refresh: bool = False
    revisit_days: float = 30.0
    attachments: dict[str, KnownPage] = field(default_factory=dict)  # archived files, by URL
    owed_files: list[tuple[str, str]] = field(default_factory=list)  # held by articles, never fetched

    def decide(self, url: str, lastmod: str | None = None) -> Decision:
        page = self.known.get(url)
        if page is None:
            return "fetch"
        if self.refresh or self._changed_since(page, lastmod) or self._due(page):
            return "conditional"
        return "skip"

    def is_known(self, url: str) -> bool:
        """Archived before; a listing's link may carry a session identifier the archive's
        address does not (crawler/visit_ids.py)."""
        return url in self.known or without_visit_ids(url) in self.known

    def original(self, url: str) -> Original | None:
        """The capture behind the current version of the article at `url`, if archived."""
        page = self.known.get(url) or self.known.get(without_visit_ids(url))
        return page.original if page else None

    def original_file(self, url: str) -> Original | None:
        """The capture of the file archived at `url`, if any."""
        page = self.attachments.get(url)
        return page.original if page else None

    def decide_attachment(self, url: str) -> Decision:
        """A file archived before is fetched again only on a refresh or when due, and then
        conditionally: an unchanged file is never downloaded twice."""
        page = self.attachments.get(url)
        if page is None:
            return "fetch"
        return "conditional" if self.refresh or self._due(page) else "skip"

    def conditional_headers(self, url: str) -> dict[str, str]:
        return validators(self.known[url])

    def attachment_headers(self, url: str) -> dict[str, str]:
        return validators(self.attachments[url])

    def _changed_since(self, page: KnownPage, lastmod: str | None) -> bool:
        changed, fetched = parse_date(lastmod, UTC), parse_date(page.fetched_at, UTC)
        if changed is None or fetched is None:
            return False
        return fetched < changed <= datetime.now(UTC) + LASTMOD_AHEAD

    def _due(self, page: KnownPage) -> bool:
        fetched = parse_date(page.fetched_at, UTC)
        return fetched is None or datetime.now(UTC) - fetched > timedelta(days=self.revisit_days)


def validators(page: KnownPage) -> dict[str, str]:
    """The headers of a conditional request for a page archived with these validators."""
    headers = {}
    if page.etag:
        headers["If-None-Match"] = page.etag
    if page.last_modified:
        headers["If-Modified-Since"] = page.last_modified
    return headers
