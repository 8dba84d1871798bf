"""The archive's tables as they are now: one definition of each column and what it holds.

The writer and the exporter take their column lists from here, datasette its column
descriptions (archive/browse.py); tests check that a freshly migrated archive has exactly
these columns, that items.Article carries them and that the README names them
(tests/test_schema.py). migrations.py builds the tables step by step and never reads this
module: a released step stays what it was when it ran.
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    type: type
    description: str


# What one crawl of a page stores in `articles`, as the first release defined it.
ARTICLE_COLUMNS: dict[str, Column] = {
    "url": Column(str, "Canonical URL of the article when first archived (the key; an article that moves keeps it)"),
    "site": Column(str, "Registered site id, or the host for sites crawled with --url"),
    "agency": Column(str, "The publishing agency"),
    "title": Column(str, "Headline"),
    "body": Column(str, "Clean text, paragraphs separated by blank lines; no theme boilerplate"),
    "published": Column(str, "Publication date-time, ISO 8601 with offset, Common Era (Buddhist-Era dates converted)"),
    "modified": Column(str, "Last modification the page declares"),
    "authors": Column(str, "JSON array"),
    "language": Column(str, "ISO 639-1 code of the text"),
    "categories": Column(str, "JSON array"),
    "tags": Column(str, "JSON array"),
    "image": Column(str, "Lead image URL"),
    "source_url": Column(str, "The URL fetched"),
    "http_status": Column(int, "HTTP status of the fetch"),
    "fetched_at": Column(str, "When it was last fetched (UTC)"),
    "sha256": Column(str, "SHA-256 of the body"),
    "extractor": Column(str, "Extractor name and version that produced the text"),
}
# The current version's provenance and the article's state.
ARTICLE_STATE_COLUMNS: dict[str, Column] = {
    "final_url": Column(str, "The URL after redirects"),
    "etag": Column(str, "HTTP validator, for conditional re-fetches"),
    "last_modified": Column(str, "HTTP validator, for conditional re-fetches"),
    "version": Column(int, "Number of the current version (see article_versions)"),
    "crawl_run": Column(int, "The crawl run that last fetched it (see crawl_runs)"),
    "removed_at": Column(str, "When the page answered 404/410 (UTC); the text is kept"),
}
# Derived from `published` by the writer, for datasette's facets.
PERIOD_COLUMNS: dict[str, Column] = {
    "published_year": Column(str, "Year of publication (CE), for facets"),
    "published_month": Column(str, "Month of publication (YYYY-MM), for facets"),
}
# Where a version's raw response lies in the WARC files (article_versions only).
CAPTURE_COLUMNS: dict[str, Column] = {
    "warc_file": Column(str, "WARC file holding the raw response, relative to the archive's folder"),
    "warc_offset": Column(int, "Byte offset of its record"),
    "warc_length": Column(int, "Length of its record in bytes"),
    "payload_digest": Column(str, "WARC-Payload-Digest of the body: a re-fetch of these bytes is a revisit record"),
}
ARTICLES: dict[str, Column] = {**ARTICLE_COLUMNS, **ARTICLE_STATE_COLUMNS, **PERIOD_COLUMNS}
ARTICLE_VERSIONS: dict[str, Column] = {
    "id": Column(int, "Row id"),
    "article_url": Column(str, "The article (articles.url)"),
    "version": Column(int, "1 for the first capture, one more for each change of text or title"),
    **{name: column for name, column in ARTICLE_COLUMNS.items() if name not in ("url", "site", "agency")},
    "final_url": ARTICLE_STATE_COLUMNS["final_url"],
    "crawl_run": Column(int, "The crawl run that fetched this version"),
    **CAPTURE_COLUMNS,
}
FAILURES: dict[str, Column] = {
    "id": Column(int, "Row id"),
    "url": Column(str, "The URL as a route named it, before redirects"),
    "site": Column(str, "The site"),
    "reason": Column(str, "Why it was not archived, in words"),
    "http_status": Column(int, "HTTP status, when the site answered"),
    "time": Column(str, "When (UTC)"),
    "kind": Column(str, "The reason's kind: http_error, timeout, too_large, trap, budget... (README, Reliability)"),
    "crawl_run": Column(int, "The crawl run that met it"),
}
CRAWL_RUNS: dict[str, Column] = {
    "id": Column(int, "Run id"),
    "site": Column(str, "The site crawled"),
    "started": Column(str, "Start (UTC)"),
    "finished": Column(str, "End (UTC)"),
    "status": Column(str, "running, ok, failed, stopped (SIGTERM) or killed"),
    "pages": Column(int, "Responses received"),
    "downloads": Column(int, "Full (200) downloads"),
    "not_modified": Column(int, "304 answers to conditional requests"),
    "new": Column(int, "Articles archived for the first time"),
    "updated": Column(int, "Articles whose text changed: a new version"),
    "unchanged": Column(int, "Articles fetched again, text unchanged"),
    "removed": Column(int, "Articles whose page answered 404/410"),
    "failures": Column(int, "Rows this run added to failures"),
    "http_errors": Column(str, "JSON: HTTP status -> responses"),
    "stop_reason": Column(str, "Why the run ended, or why it failed"),
    "pid": Column(int, "Process id of the crawl"),
    "lost": Column(int, "Pages an error of ours kept out of the archive (the next run fetches them)"),
    "failure_kinds": Column(str, "JSON: failure kind -> pages (see the failures table)"),
    "skipped": Column(str, "JSON: reason -> pages skipped on purpose (not an article, known, duplicate, trap...)"),
    "bounds": Column(str, "JSON: setting -> pages that hit its bound (README, Reliability)"),
    "attachments": Column(str, "JSON: files of articles fetched, unchanged (304), known (skipped), failed, bytes"),
}
TRAPS: dict[str, Column] = {
    "site": Column(str, "The site"),
    "pattern": Column(str, "A URL shape (digits as N, query keys only) or one URL"),
    "bound": Column(str, "The setting whose bound found it"),
    "reason": Column(str, "In words"),
    "found": Column(str, "When (UTC); older than GOVARCHIVE_REVISIT_DAYS, it is tried again"),
    "crawl_run": Column(int, "The crawl run that found it"),
}
INGEST_POSITION: dict[str, Column] = {
    "stream": Column(str, "A Redis stream of results (crawl --redis)"),
    "last_id": Column(str, "The last entry written, committed with it: a restarted writer skips up to here"),
}
INGEST_COUNTS: dict[str, Column] = {
    "run": Column(int, "A distributed crawl run (see crawl_runs)"),
    "counter": Column(str, "What the writer counted: articles new, updated, unchanged, failures by kind..."),
    "count": Column(int, "How many so far, committed with the writes"),
}
ATTACHMENTS: dict[str, Column] = {
    "url": Column(str, "The file's URL as the article links it (the key)"),
    "site": Column(str, "The site"),
    "final_url": Column(str, "The URL after redirects"),
    "http_status": Column(int, "HTTP status of the fetch"),
    "sha256": Column(str, "SHA-256 of the file's bytes"),
    "media_type": Column(str, "What the file is, by its bytes (else as served): application/pdf, image/jpeg..."),
    "bytes": Column(int, "Size of the file"),
    "pages": Column(int, "Pages (PDF), slides or sheets; empty for an image"),
    "text": Column(str, "The file's text, pages separated by form feeds; empty for an image"),
    "text_method": Column(str, "How the text was read: pdftotext, ocr, pdftotext+ocr, office, none"),
    "text_note": Column(str, "What was left unread, and the bound that stopped it"),
    "fetched_at": Column(str, "When it was last fetched (UTC)"),
    "etag": Column(str, "HTTP validator, for conditional re-fetches"),
    "last_modified": Column(str, "HTTP validator, for conditional re-fetches"),
    "crawl_run": Column(int, "The crawl run that last fetched it"),
    **CAPTURE_COLUMNS,
}
ARTICLE_ATTACHMENTS: dict[str, Column] = {
    "article_url": Column(str, "The article (articles.url)"),
    "attachment_url": Column(str, "The file (attachments.url)"),
    "role": Column(str, "lead image, image or document"),
    "position": Column(int, "Order on the article's page, lead image first"),
}
TABLES: dict[str, dict[str, Column]] = {
    "articles": ARTICLES,
    "article_versions": ARTICLE_VERSIONS,
    "failures": FAILURES,
    "crawl_runs": CRAWL_RUNS,
    "traps": TRAPS,
    "ingest_position": INGEST_POSITION,
    "ingest_counts": INGEST_COUNTS,
    "attachments": ATTACHMENTS,
    "article_attachments": ARTICLE_ATTACHMENTS,
}
