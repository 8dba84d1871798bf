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
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import GenericNewsSpider
from crawler.workers import extract_page

log = logging.getLogger(__name__)


@dataclass
class ReextractReport:
    versions: int = 0
    changed: int = 0
    without_capture: int = 0
    failed: int = 0


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
        rules = registry.get(version.site, GenericNewsSpider).rules()
        outcome, value = extract_page(capture.body, choose_encoding(capture.body, content_type), capture.url, rules)
        if outcome == "error":
            log.warning("%s version %d: %s", version.article_url, version.version, value)
            report.failed += 1
        elif writer.rewrite_version(version.article_url, version.version, value):  # type: ignore[arg-type]
            report.changed += 1
    return report
