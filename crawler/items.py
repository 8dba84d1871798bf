"""What spiders yield and pipelines pass on: typed, and plain enough to cross a process."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FetchedPage:
    """An article page as fetched; the extract pipeline turns it into an Article."""

    source_url: str  # the URL requested (before redirects)
    final_url: str
    http_status: int
    html: str
    site: str
    agency: str
    fetched_at: str  # UTC, ISO 8601


@dataclass
class Article:
    """One archived article; fields are the columns of the `articles` table."""

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


@dataclass
class FetchFailure:
    """A page that should have been archived and was not, with the reason."""

    url: str
    site: str
    reason: str
    http_status: int | None = None
