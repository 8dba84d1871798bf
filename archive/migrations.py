"""The archive's schema as named, ordered steps; a step once released is never edited."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("govarchive")

# The columns of `articles`, in order; the writer accepts exactly these.
ARTICLE_COLUMNS: dict[str, type] = {
    "url": str,  # canonical URL, the key
    "site": str,
    "agency": str,
    "title": str,
    "body": str,
    "published": str,  # ISO 8601 with offset, CE
    "modified": str,
    "authors": str,  # JSON array
    "language": str,
    "categories": str,  # JSON array
    "tags": str,  # JSON array
    "image": str,
    "source_url": str,  # the URL fetched, before canonicalisation
    "http_status": int,
    "fetched_at": str,  # UTC
    "sha256": str,  # of the body
    "extractor": str,  # name and version
}
FTS_COLUMNS = ["title", "body"]


@migrations()
def create_articles(db: Database) -> None:
    db.table("articles").create(ARTICLE_COLUMNS, pk="url", not_null={"site", "title", "body"})
    db.table("articles").create_index(["site", "published"])


@migrations()
def create_failures(db: Database) -> None:
    db.table("failures").create(
        {"id": int, "url": str, "site": str, "reason": str, "http_status": int, "time": str},
        pk="id",
        not_null={"url", "reason", "time"},
    )
    db.table("failures").create_index(["url"])


@migrations()
def index_articles_with_trigrams(db: Database) -> None:
    """FTS5 trigram: substring search, so Thai words are found without word breaks.

    Kept in sync by triggers; datasette finds it as the articles table's search index.
    """
    db.table("articles").enable_fts(FTS_COLUMNS, tokenize="trigram", create_triggers=True)
