"""Item pipelines, in order: extract -> validate -> archive. One job each.

Only ArchivePipeline touches the database, and only through archive.store, with plain
dict records, so the writer could move to its own process behind a queue.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.db import open_archive
from archive.store import ArchiveWriter
from crawler.extract import ExtractionError, ExtractionRules, extract
from crawler.items import Article, FetchedPage, FetchFailure

log = logging.getLogger(__name__)
MIN_BODY_CHARS = 40  # shorter than a sentence: a stub or an error page, not an article
EARLIEST_PLAUSIBLE_YEAR = 1990


class ExtractPipeline:
    """FetchedPage -> Article; a page with no extractable text becomes a FetchFailure."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        rules = getattr(self.crawler.spider, "extraction_rules", ExtractionRules())
        try:
            extracted = extract(item.html, item.final_url, rules)
        except ExtractionError as error:
            return self._failure(item, f"extraction: {error}")
        except Exception as error:  # a page that breaks a parser must not stop the crawl
            log.exception("extraction crashed on %s", item.final_url)
            return self._failure(item, f"extraction crashed: {type(error).__name__}: {error}")
        fields = extracted.as_dict()
        return Article(
            site=item.site,
            agency=item.agency,
            source_url=item.source_url,
            http_status=item.http_status,
            fetched_at=item.fetched_at,
            **fields,
        )

    def _failure(self, item: FetchedPage, reason: str) -> FetchFailure:
        self.stats.inc_value("govarchive/extraction_failed")
        return FetchFailure(url=item.final_url, site=item.site, reason=reason, http_status=item.http_status)


class ValidatePipeline:
    """An Article must have a title and a body; an impossible date is dropped, not stored."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        if not item.title.strip() or len(item.body) < MIN_BODY_CHARS:
            return FetchFailure(
                url=item.url,
                site=item.site,
                reason="validation: empty title or body too short",
                http_status=item.http_status,
            )
        for field in ("published", "modified"):
            value = getattr(item, field)
            if value and not _plausible(value):
                log.warning("%s: implausible %s date %s left empty", item.url, field, value)
                setattr(item, field, None)
        return item


def _plausible(value: str) -> bool:
    when = datetime.fromisoformat(value)
    now = datetime.now(UTC) + timedelta(days=1)
    return when.year >= EARLIEST_PLAUSIBLE_YEAR and when <= now


class ArchivePipeline:
    """Writes Articles and FetchFailures to the archive named by the GOVARCHIVE_DB setting."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.stats = crawler.stats
        self.db_path = db_path
        self.writer: ArchiveWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler, crawler.settings.get("GOVARCHIVE_DB"))

    def open_spider(self) -> None:
        self.writer = ArchiveWriter(open_archive(self.db_path))

    def close_spider(self) -> None:
        if self.writer is not None:
            self.writer.db.close()

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None, "open_spider was not called"
        if isinstance(item, FetchFailure):
            self.writer.record_failure(item.url, item.reason, item.site, item.http_status)
            self.stats.inc_value("govarchive/failures")
            raise DropItem(f"recorded failure for {item.url}: {item.reason}")
        if isinstance(item, Article):
            outcome = self.writer.write_article(dataclasses.asdict(item))
            self.stats.inc_value(f"govarchive/articles_{outcome}")
        return item
