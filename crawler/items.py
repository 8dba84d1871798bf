"""What spiders yield and pipelines pass on: typed, and plain enough to cross a process."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # items stay importable, and picklable, without Scrapy
    from scrapy.http import Response


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """A response header's first value, whatever its letter case."""
    wanted = name.lower()
    return next((v for k, v in headers if k.lower() == wanted), None)


def headers_of(response: Response) -> list[tuple[str, str]]:
    """A response's headers as items carry them: a (name, value) pair of strings per value."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items() for v in values]


@dataclass
class FetchedPage:
    """An article page as fetched; ExtractPipeline writes it to WARC and makes an Article."""

    source_url: str  # the URL requested (before redirects)
    final_url: str
    http_status: int
    body: bytes = field(repr=False)  # not in log lines about the page
    headers: list[tuple[str, str]]
    site: str
    agency: str
    fetched_at: str  # UTC, ISO 8601
    crawl_run: int | None = None
    warc_file: str | None = None  # set by ExtractPipeline
    warc_offset: int | None = None
    warc_length: int | None = None
    payload_digest: str | None = None

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass
class Article:
    """One archived article: the `articles` columns plus this version's provenance."""

    url: str
    site: str
    agency: str
    title: str
    body: str
    source_url: str
    http_status: int
    fetched_at: str
    extractor: str
    published: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    final_url: str | None = None
    crawl_run: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    payload_digest: str | None = None
    # The WARC record itself, on its way to a writer in another process (a distributed crawl,
    # crawler/handoff.py), which appends it and sets the pointer above. Not a column.
    capture: bytes | None = field(default=None, repr=False)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (url, role): `article_attachments`

    def record(self) -> dict[str, object]:
        """The `articles` columns and this version's provenance, as archive.store takes them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("capture", "attachments")}


@dataclass
class NotModified:
    """A known article answered 304 to a conditional request: unchanged, nothing downloaded."""

    url: str
    site: str
    fetched_at: str
    crawl_run: int | None = None


@dataclass
class NotArchived:
    """A page that may have been an article and was not archived: why, in words and as a
    kind (crawler/outcomes.py), and the bound it hit, by its setting's name, if any."""

    url: str  # as the route named it, before redirects
    site: str
    reason: str
    kind: str = "other"
    http_status: int | None = None
    bound: str | None = None
    crawl_run: int | None = None
    capture: bytes | None = field(default=None, repr=False)  # as Article.capture: a page that failed extraction


@dataclass
class FetchedAttachment:
    """A file an article links or shows, as fetched; AttachmentPipeline reads its text."""

    url: str  # as requested (before redirects)
    final_url: str
    http_status: int
    body: bytes = field(repr=False)
    headers: list[tuple[str, str]]
    site: str
    fetched_at: str  # UTC, ISO 8601
    crawl_run: int | None = None

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass
class Attachment:
    """One `attachments` row: the file, its text, and where its capture lies."""

    url: str
    site: str
    final_url: str
    http_status: int
    sha256: str
    media_type: str
    bytes: int
    pages: int | None
    text: str
    text_method: str
    text_note: str
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None
    crawl_run: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    payload_digest: str | None = None
    capture: builtins.bytes | None = field(default=None, repr=False)  # as Article.capture (`bytes` is a column)

    def record(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "capture"}


@dataclass
class AttachmentUnchanged:
    """A known attachment answered 304: nothing downloaded."""

    url: str
    fetched_at: str
    crawl_run: int | None = None


@dataclass
class AttachmentFailed:
    """A file that could not be fetched or read: a `failures` row (kind, reason, bound), which
    never fails the run: the article is archived without it."""

    url: str
    site: str
    reason: str
    kind: str
    http_status: int | None = None
    bound: str | None = None
    crawl_run: int | None = None
