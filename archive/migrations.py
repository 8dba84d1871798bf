"""The archive's schema as named, ordered steps; a step once released is never edited.

Each step spells out the columns it creates or adds, and reads no constant later code may
change: an archive made by any release upgrades to the same schema as a new one
(tests/test_schema.py upgrades the first release's archive and compares). The tables as they
are now, with what each column holds, are described in archive/schema.py.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("govarchive")


@migrations()
def create_articles(db: Database) -> None:
    db.table("articles").create(
        {
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
        },
        pk="url",
        not_null={"site", "title", "body"},
    )
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
    db.table("articles").enable_fts(["title", "body"], tokenize="trigram", create_triggers=True)


@migrations()
def add_capture_columns(db: Database) -> None:
    """Provenance of the current version (final URL, validators, run) and the article's state."""
    for column, kind in (
        ("final_url", str),
        ("etag", str),
        ("last_modified", str),
        ("version", int),
        ("crawl_run", int),
        ("removed_at", str),
    ):
        db.table("articles").add_column(column, kind)
    db.execute("update articles set version = 1")


@migrations()
def create_article_versions(db: Database) -> None:
    """Every distinct text a page has had; articles archived before this step become version 1."""
    copied = [
        "title",
        "body",
        "published",
        "modified",
        "authors",
        "language",
        "categories",
        "tags",
        "image",
        "source_url",
        "http_status",
        "fetched_at",
        "sha256",
        "extractor",
        "final_url",
        "crawl_run",
    ]
    columns: dict[str, type] = {"id": int, "article_url": str, "version": int}
    columns |= {name: int if name in ("http_status", "crawl_run") else str for name in copied}
    columns |= {"warc_file": str, "warc_offset": int, "warc_length": int}
    versions = db.table("article_versions")
    versions.create(columns, pk="id", not_null={"article_url", "version", "body"})
    versions.create_index(["article_url", "version"], unique=True)
    db.execute(
        f"insert into article_versions (article_url, version, {', '.join(copied)}) "
        f"select url, 1, {', '.join(copied)} from articles"
    )


@migrations()
def create_crawl_runs(db: Database) -> None:
    db.table("crawl_runs").create(
        {
            "id": int,
            "site": str,
            "started": str,  # UTC
            "finished": str,
            "status": str,  # running | ok | failed | killed
            "pages": int,  # responses received
            "downloads": int,  # full (200) downloads
            "not_modified": int,  # 304 answers to conditional requests
            "new": int,
            "updated": int,
            "unchanged": int,
            "removed": int,
            "failures": int,
            "http_errors": str,  # JSON: status -> count
            "stop_reason": str,  # Scrapy's finish reason, or why the run failed
            "pid": int,
        },
        pk="id",
        not_null={"site", "started", "status"},
    )
    db.table("crawl_runs").create_index(["site", "started"])


@migrations()
def add_publication_period_columns(db: Database) -> None:
    for column in ("published_year", "published_month"):
        db.table("articles").add_column(column, str)
    db.execute(
        "update articles set published_year = substr(published, 1, 4), published_month = substr(published, 1, 7)"
    )
    db.table("articles").create_index(["published_month"])


@migrations()
def merge_index_segments_less_often(db: Database) -> None:
    """FTS5 merges index segments once 8 of a level exist, not 4: about a quarter less work
    per write for a few more segments to read per query (measured in docs/performance.md)."""
    db.execute("insert into articles_fts(articles_fts, rank) values ('automerge', 8)")


@migrations()
def account_for_every_page(db: Database) -> None:
    """Failures say what kind they are and which run met them; each run counts its pages by
    outcome and by the bound they hit; URL shapes found to be traps are remembered per site
    (crawler/traps.py), so the next run does not walk them again."""
    db.table("failures").add_column("kind", str)
    db.table("failures").add_column("crawl_run", int)
    db.table("crawl_runs").add_column("lost", int)  # pages an error of ours kept out of the archive
    db.table("crawl_runs").add_column("failure_kinds", str)  # JSON: kind -> failures
    db.table("crawl_runs").add_column("skipped", str)  # JSON: reason -> pages skipped on purpose
    db.table("crawl_runs").add_column("bounds", str)  # JSON: setting -> pages that hit its bound
    db.table("traps").create(
        # pattern: a URL shape (crawler/traps.py) or one URL; bound: the setting that refused it
        {"site": str, "pattern": str, "bound": str, "reason": str, "found": str, "crawl_run": int},
        pk=("site", "pattern"),
        not_null={"site", "pattern", "bound", "reason", "found"},
    )


@migrations()
def index_two_character_terms(db: Database) -> None:
    """The trigram index also answers two-character terms (ยา, ปี, รถ), through the trigrams
    that start with them (archive/short_terms.py), instead of a scan of every article. For a
    term at the very end of a title or body to have such a trigram, the index reads each one
    followed by a newline, through the view articles_fts_text: FTS5's own rebuild and
    integrity check read the same padded text the triggers index."""
    for suffix in ("ai", "ad", "au"):
        db.execute(f"drop trigger if exists articles_{suffix}")
    db.execute("drop table articles_fts")
    db.execute(
        "create view articles_fts_text as select rowid, title || char(10) as title, body || char(10) as body "
        "from articles"
    )
    db.execute(
        "create virtual table articles_fts using fts5(title, body, content='articles_fts_text', "
        "content_rowid='rowid', tokenize='trigram')"
    )
    insert_new = (
        "insert into articles_fts(rowid, title, body) values (new.rowid, new.title || char(10), new.body || char(10));"
    )
    delete_old = (
        "insert into articles_fts(articles_fts, rowid, title, body) "
        "values ('delete', old.rowid, old.title || char(10), old.body || char(10));"
    )
    db.execute(f"create trigger articles_ai after insert on articles begin {insert_new} end")
    db.execute(f"create trigger articles_ad after delete on articles begin {delete_old} end")
    db.execute(f"create trigger articles_au after update on articles begin {delete_old} {insert_new} end")
    db.execute("insert into articles_fts(articles_fts) values ('rebuild')")
    db.execute("insert into articles_fts(articles_fts, rank) values ('automerge', 8)")


@migrations()
def ingest_from_a_shared_frontier(db: Database) -> None:
    """A distributed crawl's one writer (crawler/ingest.py) commits, with each batch of results,
    the position it has read to in the Redis stream and the run's counters: a writer killed
    mid-batch and restarted neither loses a result nor writes one twice."""
    db.table("ingest_position").create({"stream": str, "last_id": str}, pk="stream", not_null={"last_id"})
    db.table("ingest_counts").create(
        {"run": int, "counter": str, "count": int}, pk=("run", "counter"), not_null={"count"}
    )


@migrations()
def keep_attachments(db: Database) -> None:
    """The files articles link or show (documents, images): one row per URL with its text,
    which articles hold it (a file may serve many), a full-text index of the text, and the
    run's attachment figures."""
    db.table("attachments").create(
        {
            "url": str,
            "site": str,
            "final_url": str,
            "http_status": int,
            "sha256": str,  # of the file's bytes
            "media_type": str,  # by the file's bytes, else as served
            "bytes": int,
            "pages": int,  # PDF pages, slides, sheets; null for an image
            "text": str,  # pages separated by form feeds (U+000C)
            "text_method": str,  # pdftotext, ocr, pdftotext+ocr, office, none
            "text_note": str,  # what was left unread, and why
            "fetched_at": str,
            "etag": str,
            "last_modified": str,
            "crawl_run": int,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
        },
        pk="url",
    )
    db.table("attachments").create_index(["sha256"])
    db.table("article_attachments").create(
        {"article_url": str, "attachment_url": str, "role": str, "position": int},
        pk=("article_url", "attachment_url"),
    )
    db.table("article_attachments").create_index(["attachment_url"])
    db.execute(
        "create virtual table attachments_fts using fts5(text, content='attachments', content_rowid='rowid', "
        "tokenize='trigram')"
    )
    db.execute(
        "create trigger attachments_ai after insert on attachments begin "
        "insert into attachments_fts(rowid, text) values (new.rowid, new.text); end"
    )
    db.execute(
        "create trigger attachments_ad after delete on attachments begin "
        "insert into attachments_fts(attachments_fts, rowid, text) values ('delete', old.rowid, old.text); end"
    )
    db.execute(
        "create trigger attachments_au after update of text on attachments begin "
        "insert into attachments_fts(attachments_fts, rowid, text) values ('delete', old.rowid, old.text); "
        "insert into attachments_fts(rowid, text) values (new.rowid, new.text); end"
    )
    db.table("crawl_runs").add_column("attachments", str)  # JSON: fetched, unchanged, failed, bytes...


@migrations()
def index_article_identities(db: Database) -> None:
    """Finds an article by where it was last served and by its text (archive/store.py
    `article_of`: an article that moved stays one article; `taken_text`: a page a site serves
    at every address is not archived as each article's new version)."""
    db.table("articles").create_index(["site", "final_url"])
    db.table("articles").create_index(["site", "sha256"])


@migrations()
def add_payload_digests(db: Database) -> None:
    """The body's digest beside each capture's pointer: a re-fetch answering the same bytes is
    written as a revisit record referring to the capture (archive/warc.py), not a second copy."""
    db.table("article_versions").add_column("payload_digest", str)
    db.table("attachments").add_column("payload_digest", str)
