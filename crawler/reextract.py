"""Rebuild every version's text and metadata from its WARC capture with today's extractor.

No network: the raw bytes come from the WARC files. A better extractor can so be rolled
over the whole history; each version records the extractor that produced its text.
Extraction runs in the crawl's worker pool (GOVARCHIVE_EXTRACT_WORKERS), a chunk of versions
at a time, so memory holds one chunk of captures and every core is used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite_utils import Database

from archive.history import Version, iter_versions
from archive.store import ArchiveWriter
from archive.warc import UnreadableCaptureError, read_capture
from crawler import settings
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import UrlNewsSpider
from crawler.workers import ExtractionPool, PageJob, capture_and_extract, failure_of

log = logging.getLogger(__name__)
CHUNK = 64  # versions whose captures are held in memory and extracted at once


@dataclass
class ReextractReport:
    versions: int = 0
    changed: int = 0
    without_capture: int = 0
    failed: int = 0
    unreadable: list[str] = field(default_factory=list)  # damaged captures, each named


def reextract(
    db: Database,
    db_path: str,
    registry: dict[str, type[NewsSpider]],
    site: str | None = None,
    workers: int = 0,
    advance: Callable[[int], None] | None = None,
) -> ReextractReport:
    """Re-extract every version (of `site`); `advance` is told how many versions each chunk
    held, for a progress display."""
    report = ReextractReport()
    writer = ArchiveWriter(db)
    versions = list(iter_versions(db, site))  # read before writing on the same connection
    pool = ExtractionPool(workers) if workers > 0 else None
    try:
        for start in range(0, len(versions), CHUNK):
            chunk = versions[start : start + CHUNK]
            _reextract_chunk(db_path, registry, chunk, writer, pool, report)
            if advance is not None:
                advance(len(chunk))
    finally:
        if pool is not None:
            pool.close()
    return report


def _reextract_chunk(
    db_path: str,
    registry: dict[str, type[NewsSpider]],
    versions: list[Version],
    writer: ArchiveWriter,
    pool: ExtractionPool | None,
    report: ReextractReport,
) -> None:
    """Extract one chunk (in the pool if there is one) and rewrite it in one transaction."""
    captured: list[Version] = []
    jobs: list[PageJob] = []
    seconds = settings.GOVARCHIVE_EXTRACT_SECONDS if pool else 0  # as a crawl's workers have it
    max_text = settings.GOVARCHIVE_MAX_TEXT_CHARS
    for version in versions:
        report.versions += 1
        if version.pointer is None:
            report.without_capture += 1
            continue
        try:
            capture = read_capture(db_path, version.pointer)
        except UnreadableCaptureError as error:
            report.unreadable.append(f"{version.article_url} version {version.version}: {error}")
            log.warning("unreadable capture of %s version %d: %s", version.article_url, version.version, error)
            continue
        rules = registry.get(version.site, UrlNewsSpider).rules()
        captured.append(version)
        jobs.append(PageJob(capture, version.fetched_at, rules, seconds=seconds, max_text=max_text, record=False))
    done = asyncio.run(pool.gather(jobs)) if pool is not None else list(map(capture_and_extract, jobs))
    outcomes = [result for _, result in done]
    with writer.db.atomic():
        for version, result in zip(captured, outcomes, strict=True):
            outcome, value = result
            if outcome != "ok":
                log.warning("%s version %d: %s", version.article_url, version.version, failure_of(result)[1])
                report.failed += 1
            elif writer.rewrite_version(version.article_url, version.version, value):  # type: ignore[arg-type]
                report.changed += 1
