"""Item pipelines, in order: extract (and capture) -> validate -> archive. One job each.

Only ArchivePipeline touches the database, and only through archive.store, with plain
dict records, so the writer could move to its own process behind a queue.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.warc import Capture, Original, Record, WarcFile, point_at, response_record
from crawler.attachment_requests import AttachmentRequests
from crawler.documents import Limits, ReadOnce, media_type
from crawler.extract import ExtractionRules
from crawler.incremental import Revisits
from crawler.items import (
    Article,
    Attachment,
    AttachmentFailed,
    FetchedAttachment,
    FetchedPage,
    NotArchived,
)
from crawler.kinds import EXTRACTION, UNREADABLE, VALIDATION, WRITER_GONE
from crawler.page_bounds import CPU_SETTING, TEXT_SETTING
from crawler.shared import ARCHIVE_WRITERS, EXTRACTION_POOLS, WriterKey, writer_key
from crawler.workers import ExtractionPool, PageJob, capture_and_extract, failure_of, worker_count
from crawler.writer_process import WriterGoneError, WriterProcess
from crawler.writes import Written

log = logging.getLogger(__name__)
MIN_BODY_CHARS = 40  # shorter than a sentence: a stub or an error page, not an article
EARLIEST_PLAUSIBLE_YEAR = 1990


class ExtractPipeline:
    """FetchedPage -> Article, or NotArchived when the page has no text; on the way, the page's
    response is appended to this run's WARC file, before anything reaches the archive. Both are
    made in one trip to a worker process (crawler/workers.py): the record's digests and
    compression cost the reactor nothing, and the page's bytes cross once.

    FetchedAttachment -> Attachment, its response appended to the same WARC file, its text read
    on a thread (crawler/documents.py runs its programs as child processes, so the reactor only
    waits), at most GOVARCHIVE_ATTACHMENT_READERS files at once."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = worker_count(crawler.settings.get("GOVARCHIVE_EXTRACT_WORKERS"))
        self.pool: ExtractionPool | None = None
        self.page_seconds = crawler.settings.getfloat(CPU_SETTING)
        self.max_text = crawler.settings.getint(TEXT_SETTING)
        self.warc: WarcFile | None = None
        self.limits = Limits.from_settings(crawler.settings)
        self.readers = asyncio.Semaphore(crawler.settings.getint("GOVARCHIVE_ATTACHMENT_READERS"))
        self.read = ReadOnce()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        name = getattr(spider, "site_id", None) or (spider.name if spider else "crawl")
        if not self.crawler.settings.get("GOVARCHIVE_REDIS_URL"):  # else the writer appends (crawler/handoff.py)
            self.warc = WarcFile(self.crawler.settings.get("GOVARCHIVE_DB"), name)
        if self.workers > 0:
            self.pool = EXTRACTION_POOLS.acquire(self.workers)  # one per process (crawler/shared.py)

    def close_spider(self) -> None:
        if self.pool is not None:
            EXTRACTION_POOLS.release(self.workers)
            self.pool = None
        if self.warc is not None:
            try:
                self.warc.close()
            except OSError as error:  # a full disk: what was written is already on it
                log.error("could not close %s: %s", self.warc.path, error)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedAttachment):
            return await self.read_attachment(item)
        if not isinstance(item, FetchedPage):
            return item
        spider = self.crawler.spider
        rules = getattr(spider, "extraction_rules", ExtractionRules())
        files: AttachmentRequests | None = getattr(spider, "files", None)
        capture = Capture(item.final_url, item.http_status, item.headers, item.body)
        # In-process, on the reactor's thread, a page has no CPU bound (crawler/page_bounds.py).
        seconds = self.page_seconds if self.pool else 0
        revisits: Revisits | None = getattr(spider, "revisits", None)
        original = revisits.original(item.source_url) if revisits else None
        job = PageJob(
            capture, item.fetched_at, rules, bool(files and files.roles), seconds, self.max_text, original=original
        )
        record, result = await self.pool.capture_and_extract(job) if self.pool else capture_and_extract(job)
        for_writer = self.keep(record, item, original)
        outcome, value = result
        if outcome != "ok":
            if self.stats:
                self.stats.inc_value("govarchive/extraction_failed")
            bound, reason = failure_of(result)
            return NotArchived(
                url=item.source_url,
                site=item.site,
                reason=reason,
                kind=EXTRACTION,
                http_status=item.http_status,
                bound=bound,
                crawl_run=item.crawl_run,
                capture=for_writer,
            )
        article = article_from(item, value)  # type: ignore[arg-type]
        article.capture = for_writer
        if files is not None:
            kept = files.keep(article.attachments, spider)
            article.attachments = [(ref.url, ref.role) for ref in kept]
            for request in files.requests(kept, spider):
                self.crawler.engine.crawl(request)
        return article

    async def read_attachment(self, item: FetchedAttachment) -> Attachment:
        revisits: Revisits | None = getattr(self.crawler.spider, "revisits", None)
        original = revisits.original_file(item.url) if revisits else None
        async with self.readers:
            read = await asyncio.to_thread(attachment_from, item, self.limits, self.read, original)
        record, attachment, again = read
        if again and self.stats:
            self.stats.inc_value("govarchive/attachments/same_bytes")
        attachment.capture = self.keep(record, attachment, original)
        return attachment

    def keep(self, record: Record, holder: FetchedPage | Attachment, original: Original | None = None) -> bytes | None:
        """The record appended to this run's WARC file, `holder` pointed at it; or, when another
        process appends it (crawler/handoff.py), the record to hand on with the result. A
        revisit record points nowhere: the page's bytes are the original's, and so is its pointer."""
        holder.payload_digest = record.payload_digest
        if record.revisit:
            assert original is not None
            point_at(holder, original.pointer)
            if self.stats:
                self.stats.inc_value("govarchive/same_bytes_again")
        if self.warc is None:
            return record.data
        pointer = self.warc.append(record.data)
        if not record.revisit:
            point_at(holder, pointer)
        return None


def attachment_from(
    item: FetchedAttachment, limits: Limits, read: ReadOnce, original: Original | None = None
) -> tuple[Record, Attachment, bool]:
    """The file's WARC record (a revisit when its bytes are the `original`'s), its row, and
    whether its bytes were read before under another URL; a file whose text cannot be read is
    kept all the same, the reason in text_note (the writer records it as an `unreadable`
    failure too)."""
    capture = Capture(item.final_url, item.http_status, item.headers, item.body)
    record = response_record(capture, item.fetched_at, original)
    kind = media_type(item.body, item.header("Content-Type"))
    sha256 = hashlib.sha256(item.body).hexdigest()
    document, again = read.read(sha256, item.body, kind, limits)
    if isinstance(document, str):
        text, pages, method, note = "", None, UNREADABLE, document
    else:
        text, pages, method, note = document.text, len(document.pages) or None, document.method, document.note
    attachment = Attachment(
        url=item.url,
        site=item.site,
        final_url=item.final_url,
        http_status=item.http_status,
        sha256=sha256,
        media_type=kind,
        bytes=len(item.body),
        pages=pages,
        text=text,
        text_method=method,
        text_note=note,
        fetched_at=item.fetched_at,
        etag=item.header("ETag"),
        last_modified=item.header("Last-Modified"),
        crawl_run=item.crawl_run,
    )
    return record, attachment, again


def article_from(page: FetchedPage, fields: dict[str, Any]) -> Article:
    """The Article for a fetched page and its extracted fields, with the page's provenance."""
    return Article(
        site=page.site,
        agency=page.agency,
        source_url=page.source_url,
        final_url=page.final_url,
        http_status=page.http_status,
        fetched_at=page.fetched_at,
        crawl_run=page.crawl_run,
        etag=page.header("ETag"),
        last_modified=page.header("Last-Modified"),
        warc_file=page.warc_file,
        warc_offset=page.warc_offset,
        warc_length=page.warc_length,
        payload_digest=page.payload_digest,
        **fields,
    )


class ValidatePipeline:
    """An Article must have a title and a body; an impossible date is dropped, not stored."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        if not item.title.strip() or len(item.body) < MIN_BODY_CHARS:
            reason = "validation: empty title or body too short"
            return NotArchived(
                url=item.source_url,
                site=item.site,
                reason=reason,
                kind=VALIDATION,
                http_status=item.http_status,
                crawl_run=item.crawl_run,
                capture=item.capture,
            )
        for name in ("published", "modified"):
            value = getattr(item, name)
            if value and not plausible(value):
                log.warning("%s: implausible %s date %s left empty", item.url, name, value)
                setattr(item, name, None)
        if item.published is None:
            log.warning("%s: no publication date found; left empty", item.url)
        return item


def plausible(value: str) -> bool:
    """Not before the web archives of Thai agencies begin, never in the future."""
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.year >= EARLIEST_PLAUSIBLE_YEAR and when <= datetime.now(UTC) + timedelta(days=1)


class ArchivePipeline:
    """Writes Articles, 304s and pages NotArchived to the archive named by GOVARCHIVE_DB.

    All writes happen in one writer process that owns the SQLite connection
    (crawler/writer_process.py), shared by every site the process crawls (crawler/shared.py):
    the indexed writes cost the crawl's process nothing; writes stay in arrival order and are
    committed in groups.
    """

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer_gone = False
        self.key: WriterKey = writer_key(
            db_path,
            crawler.settings.getint("GOVARCHIVE_COMMIT_MAX_WRITES"),
            crawler.settings.getfloat("GOVARCHIVE_COMMIT_MAX_SECONDS"),
        )
        self.db_path = db_path
        self.writer: WriterProcess | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler, crawler.settings.get("GOVARCHIVE_DB"))

    def open_spider(self) -> None:
        self.writer = ARCHIVE_WRITERS.acquire(self.key)

    def close_spider(self) -> None:
        if self.writer is not None:
            if self.stats is not None:  # every site's commits so far: the writer is shared
                self.stats.set_value("govarchive/commits", self.writer.batches)
            ARCHIVE_WRITERS.release(self.key)
            self.writer = None

    async def process_item(self, item: Any) -> Any:
        assert self.stats is not None, "open_spider was not called"
        if not isinstance(item, Written):
            return item
        try:
            counters = await self.write(item)
        except WriterGoneError as error:
            self.stats.inc_value("govarchive/lost")
            self._stop(error)
            raise DropItem(f"not archived: {error}", log_level="DEBUG") from error
        for counter in counters:
            self.stats.inc_value(counter)
        if isinstance(item, NotArchived | AttachmentFailed):
            # The spider or the extractor has logged why; Scrapy need not repeat it at WARNING.
            raise DropItem(f"recorded failure for {item.url}: {item.reason}", log_level="DEBUG")
        return item

    def _stop(self, error: WriterGoneError) -> None:
        """Once the writer has died nothing more can be archived: the crawl stops, once, rather
        than fetch the rest of the site for nothing (Scrapy would log a traceback a page)."""
        if self.writer_gone or self.crawler.engine is None:
            return
        self.writer_gone = True
        log.error("%s: stopping the crawl", error)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=WRITER_GONE))

    async def write(self, item: Written) -> list[str]:
        """Hands the item to the writer; the stats counters once it is committed."""
        assert self.writer is not None, "open_spider was not called"
        return await asyncio.wrap_future(self.writer.write(item))
