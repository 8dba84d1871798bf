"""The archive library: one row per canonical URL, failures kept, FTS in step with the rows."""

import json
import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.db import NotAnArchiveError, open_archive, open_for_reading
from archive.migrations import migrations
from archive.schema import ARTICLE_COLUMNS, ARTICLE_STATE_COLUMNS, PERIOD_COLUMNS
from archive.search import search
from archive.stats import site_stats
from archive.store import ArchiveWriter, body_hash


def record(**changes) -> dict:
    base = {
        "url": "https://www.cdd.go.th/news-017/",
        "site": "cdd",
        "agency": "กรมการพัฒนาชุมชน",
        "title": "พช.คว้า 3 รางวัลเลิศรัฐ",
        "body": "นายอรรษิษฐ์ สัมพันธรัตน์ ได้เข้าร่วมพิธีมอบรางวัลเลิศรัฐ ประจำปี 2566",
        "published": "2023-08-30T14:05:00+07:00",
        "authors": ["กลุ่มประชาสัมพันธ์"],
        "categories": ["ข่าวกิจกรรม"],
        "tags": [],
        "source_url": "https://www.cdd.go.th/?p=117",
        "http_status": 200,
        "fetched_at": "2026-11-24T10:00:00+00:00",
        "extractor": "trafilatura 2.3.1",
    }
    return {**base, **changes}


def test_first_write_is_new_and_stores_every_column(memory_db: Database) -> None:
    assert ArchiveWriter(memory_db).write_article(record()) == "new"
    row = memory_db.table("articles").get("https://www.cdd.go.th/news-017/")
    assert set(row) == set(ARTICLE_COLUMNS) | set(ARTICLE_STATE_COLUMNS) | set(PERIOD_COLUMNS)
    assert (row["published_year"], row["published_month"]) == ("2023", "2023-08")
    assert row["version"] == 1 and row["removed_at"] is None
    assert json.loads(row["authors"]) == ["กลุ่มประชาสัมพันธ์"]
    assert row["sha256"] == body_hash(record()["body"])


def test_same_content_again_adds_no_row(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    writer.write_article(record())
    assert writer.write_article(record(fetched_at="2026-11-25T10:00:00+00:00")) == "unchanged"
    assert memory_db.table("articles").count == 1
    assert memory_db.table("articles").get(record()["url"])["fetched_at"] == "2026-11-25T10:00:00+00:00"


def test_changed_body_updates_the_row_and_the_index(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    writer.write_article(record())
    assert writer.write_article(record(body="ข้อความแก้ไขใหม่ เรื่องกองทุนหมู่บ้าน")) == "updated"
    assert memory_db.table("articles").count == 1
    assert search(memory_db, "กองทุนหมู่บ้าน")
    assert not search(memory_db, "อรรษิษฐ์")


def test_unknown_fields_are_refused(memory_db: Database) -> None:
    with pytest.raises(ValueError, match="unknown article fields"):
        ArchiveWriter(memory_db).write_article(record(colour="red"))


def test_failures_are_recorded_with_reason_and_time(memory_db: Database) -> None:
    ArchiveWriter(memory_db).record_failure("https://x.go.th/a", "HTTP 500", "cdd", 500)
    failure = next(memory_db.table("failures").rows)
    assert (failure["url"], failure["reason"], failure["http_status"]) == ("https://x.go.th/a", "HTTP 500", 500)
    assert failure["time"]


def test_migrations_are_named_and_idempotent(tmp_path) -> None:
    path = tmp_path / "a.db"
    open_archive(path).close()
    db = open_archive(path)
    applied = [m.name for m in migrations.applied(db)]
    assert applied == [
        "create_articles",
        "create_failures",
        "index_articles_with_trigrams",
        "add_capture_columns",
        "create_article_versions",
        "create_crawl_runs",
        "add_publication_period_columns",
        "merge_index_segments_less_often",
        "account_for_every_page",
        "index_two_character_terms",
        "ingest_from_a_shared_frontier",
        "keep_attachments",
        "index_article_identities",
        "add_payload_digests",
    ]
    assert db.journal_mode == "wal"


OPENERS = 8


def open_together(path: Path, everyone: threading.Barrier) -> int:
    everyone.wait()
    return open_archive(path).table("articles").count


def test_processes_opening_a_new_archive_at_once_all_get_it_whole(tmp_path) -> None:
    """Cron may start several sites' crawls against an archive that does not exist yet."""
    context = multiprocessing.get_context("spawn")
    everyone = context.Manager().Barrier(OPENERS)
    with context.Pool(OPENERS) as pool:
        opened = pool.starmap(open_together, [(tmp_path / "a.db", everyone)] * OPENERS)
    assert opened == [0] * OPENERS
    assert len(migrations.applied(open_archive(tmp_path / "a.db"))) == len(migrations.pending(Database(memory=True)))


def test_reading_a_missing_archive_says_what_to_do(tmp_path) -> None:
    with pytest.raises(NotAnArchiveError, match="govarchive crawl"):
        open_for_reading(tmp_path / "nothing.db")


def test_stats_per_site(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    writer.write_article(record())
    writer.write_article(record(url="https://www.cdd.go.th/b/", published="2024-01-01T00:00:00+07:00"))
    writer.record_failure("https://www.cdd.go.th/c/", "HTTP 404", "cdd", 404)
    (stats,) = site_stats(memory_db)
    assert (stats.site, stats.articles, stats.failures) == ("cdd", 2, 1)
    assert (stats.oldest, stats.newest) == ("2023-08-30T14:05:00+07:00", "2024-01-01T00:00:00+07:00")
