"""Rebuild every version's text and metadata from its WARC capture with today's extractor.

No network: the raw bytes come from the WARC files. A better extractor can so be rolled
over the whole history; each version records the extractor that produced its text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlite_utils import Database

from archive.history import iter_versions
from archive.store import ArchiveWriter
from archive.warc import read_capture
from crawler.encoding import choose_encoding
from crawler.extract import ExtractionError, ExtractionRules, extract
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import GenericNewsSpider

log = logging.getLogger(__name__)


@dataclass
class ReextractReport:
    versions: int = 0
    changed: int = 0
    without_capture: int = 0
    failed: int = 0


def rules_for(site: str, registry: dict[str, type[NewsSpider]]) -> ExtractionRules:
    spider = registry.get(site, GenericNewsSpider)
    return ExtractionRules(tuple(spider.cleanup_selectors), tuple(spider.date_selectors), spider.timezone)


def reextract(
    db: Database, db_path: str, registry: dict[str, type[NewsSpider]], site: str | None = None
) -> ReextractReport:
    report = ReextractReport()
    writer = ArchiveWriter(db)
    for version in list(iter_versions(db, site)):
        report.versions += 1
        if version.pointer is None:
            report.without_capture += 1
            continue
        capture = read_capture(db_path, version.pointer)
        content_type = next((v for k, v in capture.headers if k.lower() == "content-type"), None)
        html = capture.body.decode(choose_encoding(capture.body, content_type), errors="replace")
        try:
            extracted = extract(html, capture.url, rules_for(version.site, registry))
        except ExtractionError as error:
            log.warning("%s version %d: %s", version.article_url, version.version, error)
            report.failed += 1
            continue
        if writer.rewrite_version(version.article_url, version.version, extracted.as_dict()):
            report.changed += 1
    return report
