"""The archive's writer in its own process: items in, each one's counters out once committed;
an archive it cannot open fails the crawl at once; a crawl that dies loses nothing committed."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

from crawler.items import Article, NotArchived
from crawler.writer_process import WriterGoneError, WriterProcess
from tests.test_archive import record

MAX_BATCH, MAX_DELAY = 64, 0.1


def article(n: int) -> Article:
    fields = record(url=f"https://x.go.th/{n}", title=f"ข่าว {n}", extractor="test")
    return Article(**{k: v for k, v in fields.items() if k in Article.__dataclass_fields__})


def urls(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {url for (url,) in connection.execute("select url from articles")}


def test_items_are_written_in_another_process_and_answered_with_their_counters(tmp_path: Path) -> None:
    writer = WriterProcess(tmp_path / "a.db", MAX_BATCH, MAX_DELAY)
    assert writer.process.pid != os.getpid()
    futures = [writer.write(article(n)) for n in range(10)]
    failure = writer.write(NotArchived(url="https://x.go.th/gone", site="x", reason="HTTP 404", kind="http_error"))
    assert [f.result(timeout=20) for f in futures] == [["govarchive/articles_new"]] * 10
    assert failure.result(timeout=20) == ["govarchive/failures", "govarchive/failed/http_error"]
    writer.close()
    assert urls(tmp_path / "a.db") == {f"https://x.go.th/{n}" for n in range(10)}
    assert writer.batches >= 1


def test_an_archive_the_writer_cannot_open_fails_at_once(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database", "utf-8")
    with pytest.raises(Exception, match="not a database"):
        WriterProcess(tmp_path / "notes.db", MAX_BATCH, MAX_DELAY)


def test_a_writer_that_dies_fails_what_it_held_and_what_comes_after(tmp_path: Path) -> None:
    writer = WriterProcess(tmp_path / "a.db", MAX_BATCH, MAX_DELAY)
    assert writer.write(article(1)).result(timeout=20) == ["govarchive/articles_new"]
    os.kill(writer.process.pid or 0, signal.SIGKILL)
    writer.process.join()
    with pytest.raises(WriterGoneError, match="the archive writer was killed by signal SIGKILL"):
        writer.write(article(2)).result(timeout=20)
    writer.close()
    assert urls(tmp_path / "a.db") == {"https://x.go.th/1"}
