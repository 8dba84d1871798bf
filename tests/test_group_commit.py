"""Archive writes from the crawl are committed in groups, yet each stands or falls alone."""

import sqlite3
import time
from collections.abc import Callable

import pytest

from archive.group_commit import CommitThread
from archive.store import ArchiveWriter
from tests.test_archive import record


def article(n: int) -> Callable[[ArchiveWriter], str]:
    """A write job for the n-th article."""
    return lambda writer: writer.write_article(record(url=f"https://x.go.th/{n}"))


def committed_urls(path) -> set[str]:
    """What another connection (datasette, the next crawl) sees."""
    with sqlite3.connect(path) as other:
        return {url for (url,) in other.execute("select url from articles")}


def test_writes_arriving_together_share_one_commit(tmp_path) -> None:
    writer = CommitThread(tmp_path / "a.db", max_batch=64, max_delay=0.5)
    futures = [writer.submit(article(n)) for n in range(20)]
    assert [f.result(timeout=10) for f in futures] == ["new"] * 20
    writer.close()
    assert writer.batches == 1
    assert len(committed_urls(tmp_path / "a.db")) == 20


def test_a_write_is_reported_done_only_once_committed(tmp_path) -> None:
    writer = CommitThread(tmp_path / "a.db", max_batch=64, max_delay=0.3)
    future = writer.submit(lambda w: w.write_article(record()))
    time.sleep(0.1)
    assert not future.done() and committed_urls(tmp_path / "a.db") == set()
    future.result(timeout=10)
    assert committed_urls(tmp_path / "a.db") == {record()["url"]}
    writer.close()


def test_a_failing_write_rolls_back_alone(tmp_path) -> None:
    writer = CommitThread(tmp_path / "a.db", max_batch=64, max_delay=0.5)
    good = writer.submit(lambda w: w.write_article(record(url="https://x.go.th/good")))
    bad = writer.submit(lambda w: w.write_article(record(url="https://x.go.th/bad", colour="red")))
    after = writer.submit(lambda w: w.write_article(record(url="https://x.go.th/after")))
    assert good.result(timeout=10) == "new" and after.result(timeout=10) == "new"
    with pytest.raises(ValueError, match="unknown article fields"):
        bad.result(timeout=10)
    writer.close()
    assert committed_urls(tmp_path / "a.db") == {"https://x.go.th/good", "https://x.go.th/after"}


def slow_article(n: int) -> Callable[[ArchiveWriter], str]:
    """A write that takes 10 ms, as a big article with its index does."""

    def write(writer: ArchiveWriter) -> str:
        time.sleep(0.01)
        return writer.write_article(record(url=f"https://x.go.th/{n}"))

    return write


def test_a_group_is_committed_on_time_while_writes_keep_coming(tmp_path) -> None:
    writer = CommitThread(tmp_path / "a.db", max_batch=1000, max_delay=0.2)
    futures = [writer.submit(slow_article(n)) for n in range(60)]  # 0.6 s of writes, queue never empty
    futures[0].result(timeout=10)
    assert not futures[-1].done(), "the first group was committed before the queue ran dry"
    for future in futures:
        future.result(timeout=10)
    writer.close()
    assert writer.batches >= 3


def test_a_group_never_exceeds_its_size(tmp_path) -> None:
    writer = CommitThread(tmp_path / "a.db", max_batch=5, max_delay=1)
    futures = [writer.submit(article(n)) for n in range(12)]
    for future in futures:
        future.result(timeout=30)
    writer.close()
    assert writer.batches == 3


def test_an_archive_that_cannot_be_opened_fails_at_once(tmp_path) -> None:
    (tmp_path / "not-a-db").write_text("this is not sqlite")
    with pytest.raises(sqlite3.DatabaseError):
        CommitThread(tmp_path / "not-a-db", max_batch=5, max_delay=0.1)
