"""An archived article whose address answers with some other page (a maintenance, block, login
or not-found page; the home page it was sent to) keeps its text, and the run says so; one whose
address sends it to its new home (a site gone to https, a new permalink) stays one article; a
site answering 404 everywhere fails its run."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlite_utils import Database

from archive.db import open_archive
from archive.store import ArchiveWriter
from crawler.items import Article
from crawler.kinds import NOT_ARTICLE_NOW, SAME_PAGE
from crawler.progress import summary
from crawler.writes import write_item
from mirror.server import serving
from mirror.site import MirrorSite, Response
from tests.conftest import read_fixture, rows, run_cli

Replacement = Callable[[str, str], Response]  # (the site's root URL, path) -> what an article's address answers
MAINTENANCE = read_fixture("plain", "maintenance.html").encode()


class ReplacedSite(MirrorSite):
    """The mirror, with every article's address answering `replacement` once it is set."""

    replacement: Replacement | None = None

    def render(self, target: str, root: str) -> Response:
        path = urlsplit(target).path
        if self.replacement is not None and self._article_at(path) is not None:
            return self.replacement(root, path)
        return super().render(target, root)


def maintenance_page(root: str, path: str) -> Response:
    return Response(200, "text/html; charset=utf-8", MAINTENANCE)


def not_found(root: str, path: str) -> Response:
    return Response(404, "text/html; charset=utf-8", MAINTENANCE)


def sent_home(root: str, path: str) -> Response:
    return Response(302, "text/html", b"", {"Location": root})


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the mirror as it was: a folder with the archive and its captures."""
    folder = tmp_path_factory.mktemp("archived")
    with serving(ReplacedSite("cdd-mirror")) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(folder / "archive.db"), "--routes", "sitemap")
    return folder


def crawl_replaced(
    first_crawl: Path, tmp_path: Path, replacement: Replacement
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A refresh of the archived site (served at the same address) while every article's
    address answers `replacement`: the archive, and how the run ended."""
    folder = tmp_path / "archive"
    shutil.copytree(first_crawl, folder)
    db = folder / "archive.db"
    site = ReplacedSite("cdd-mirror")
    site.replacement = replacement
    port = urlsplit(rows(db, "select url from articles limit 1")[0][0]).port
    with serving(site, port) as base_url:
        result = run_cli("crawl", "--url", base_url, "--db", str(db), "--routes", "sitemap", "--refresh", check=False)
    return db, result


def current_texts(db: Path) -> list[tuple[str, str, int]]:
    return rows(db, "select url, sha256, version from articles order by url")


@pytest.mark.parametrize("replacement", [maintenance_page, sent_home], ids=["maintenance", "sent-home"])
def test_every_article_keeps_its_text_and_each_is_recorded(
    replacement: Replacement, first_crawl: Path, tmp_path: Path
) -> None:
    before = current_texts(first_crawl / "archive.db")
    db, result = crawl_replaced(first_crawl, tmp_path, replacement)
    assert current_texts(db) == before
    recorded = rows(db, "select url from failures where kind = ?", (NOT_ARTICLE_NOW,))
    assert sorted(url for (url,) in recorded) == [url for url, _, _ in before]
    assert result.returncode == 1  # every article failed: the run did too


def test_a_site_answering_not_found_everywhere_fails_its_run(first_crawl: Path, tmp_path: Path) -> None:
    before = current_texts(first_crawl / "archive.db")
    db, result = crawl_replaced(first_crawl, tmp_path, not_found)
    assert result.returncode == 1
    assert f"{len(before)} of {len(before)} archived articles answered 404/410" in result.stdout
    assert current_texts(db) == before
    assert rows(db, "select count(*) from articles where removed_at is not null") == [(len(before),)]


def test_articles_that_moved_to_another_address_stay_one_article_each(first_crawl: Path, tmp_path: Path) -> None:
    before = rows(first_crawl / "archive.db", "select url, version from articles order by url")
    with serving(ReplacedSite("cdd-mirror")) as new_home:
        moved = lambda root, path: Response(301, "text/html", b"", {"Location": new_home + path.lstrip("/")})  # noqa: E731
        db, result = crawl_replaced(first_crawl, tmp_path, moved)
    assert result.returncode == 0
    assert rows(db, "select url, version from articles order by url") == before
    assert {urlsplit(url).port for (url,) in rows(db, "select final_url from articles")} == {urlsplit(new_home).port}


def article(url: str, title: str, body: str, published: str | None = None, source_url: str | None = None) -> Article:
    return Article(
        url=url,
        site="x.go.th",
        agency="x",
        title=title,
        body=body,
        source_url=source_url or url,
        final_url=url,
        published=published,
        http_status=200,
        fetched_at="2026-12-07T00:00:00+00:00",
        extractor="test",
    )


def test_the_first_article_to_take_a_page_served_everywhere_gives_it_back(memory_db: Database) -> None:
    """Nothing to compare the first address with: it takes the page, until the next answers it."""
    writer = ArchiveWriter(memory_db)
    for n in (1, 2, 3, 4, 5):
        write_item(writer, replace(article(f"https://x.go.th/news/{n}", f"ข่าว {n}", f"เนื้อข่าว {n}"), crawl_run=1))
    counters: Counter[str] = Counter()
    for n in (1, 2, 3, 4, 5):
        maintenance = replace(article(f"https://x.go.th/news/{n}", "ปิดปรับปรุงระบบ", "ขออภัย"), crawl_run=2)
        counters.update(write_item(writer, maintenance))
    assert summary(dict(counters))["articles_updated"] == 0  # the run's figures: none updated, 5 failures
    assert rows_of(memory_db, "select title, version from articles order by url") == [
        (f"ข่าว {n}", 1) for n in (1, 2, 3, 4, 5)
    ]
    assert rows_of(memory_db, "select count(*) from article_versions") == [(5,)]
    assert rows_of(memory_db, "select count(*) from failures where kind = ?", SAME_PAGE) == [(5,)]


def test_an_article_answering_with_another_articles_text_is_not_archived(memory_db: Database) -> None:
    """A site whose article pages are told by their address alone (a site module's
    article_url_pattern) makes its maintenance page an "article": the first address to answer
    it takes its text, the rest are refused."""
    writer = ArchiveWriter(memory_db)
    for n in (1, 2):
        write_item(writer, article(f"https://x.go.th/news/{n}", f"ข่าว {n}", f"เนื้อข่าว {n}"))
    write_item(writer, article("https://x.go.th/news/1", "ปิดปรับปรุงระบบ", "ขออภัย"))
    counters = write_item(writer, article("https://x.go.th/news/2", "ปิดปรับปรุงระบบ", "ขออภัย"))
    assert f"govarchive/failed/{SAME_PAGE}" in counters
    assert rows_of(memory_db, "select title, version from articles where url like '%/2'") == [("ข่าว 2", 1)]
    (reason,) = rows_of(memory_db, "select reason from failures where kind = ?", SAME_PAGE)[0]
    assert "https://x.go.th/news/1" in str(reason)


def test_an_article_published_at_two_addresses_may_change_at_both(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    for url in ("https://x.go.th/?p=7", "https://x.go.th/news/7"):
        write_item(writer, article(url, "ข่าว 7", "เนื้อข่าว"))
    for url in ("https://x.go.th/?p=7", "https://x.go.th/news/7"):
        assert write_item(writer, article(url, "ข่าว 7", "เนื้อข่าว แก้ไขแล้ว")) == ["govarchive/articles_updated"]


def test_a_new_address_with_an_archived_text_is_archived(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    write_item(writer, article("https://x.go.th/news/7", "ข่าว 7", "เนื้อข่าว"))
    assert write_item(writer, article("https://x.go.th/?p=7", "ข่าว 7", "เนื้อข่าว")) == ["govarchive/articles_new"]


def rows_of(db: Database, sql: str, *params: str) -> list[tuple[object, ...]]:
    return db.execute(sql, list(params)).fetchall()


def test_an_article_fetched_at_its_new_address_is_the_archived_one(memory_db: Database) -> None:
    """A site gone to https: a known address redirects, the sitemap names the new ones."""
    writer = ArchiveWriter(memory_db)
    for n in (7, 8):
        write_item(writer, article(f"http://x.go.th/news/{n}", f"ข่าว {n}", "เนื้อข่าว", "2023-05-01"))
    redirected = article("https://x.go.th/news/7", "ข่าว 7", "เนื้อข่าว", "2023-05-01", "http://x.go.th/news/7")
    assert write_item(writer, redirected) == ["govarchive/articles_unchanged"]
    named_anew = article("https://x.go.th/news/8", "ข่าว 8", "เนื้อข่าว", "2023-05-01")
    assert write_item(writer, named_anew) == ["govarchive/articles_unchanged"]
    edited = article("https://x.go.th/news/8", "ข่าว 8", "เนื้อข่าว แก้ไขแล้ว", "2023-05-01")
    assert write_item(writer, edited) == ["govarchive/articles_updated"]
    assert rows_of(memory_db, "select url, version from articles order by url") == [
        ("http://x.go.th/news/7", 1),
        ("http://x.go.th/news/8", 2),
    ]


def test_two_posts_alike_on_different_days_stay_two(memory_db: Database) -> None:
    writer = ArchiveWriter(memory_db)
    for n, day in ((1, "2023-05-01"), (2, "2024-05-01")):
        assert write_item(writer, article(f"https://x.go.th/news/{n}", "ภาพกิจกรรม", "ภาพกิจกรรม", day)) == [
            "govarchive/articles_new"
        ]


def test_an_address_serving_one_post_then_another_archives_both(memory_db: Database) -> None:
    """A "random post" link redirects to a different post each time: not one article moving."""
    writer = ArchiveWriter(memory_db)
    for n in (1, 2):
        page = article(f"https://x.go.th/news/{n}", f"ข่าว {n}", f"เนื้อข่าว {n}", "2023-05-01", "https://x.go.th/random")
        assert write_item(writer, page) == ["govarchive/articles_new"]


def test_every_lookup_a_write_makes_searches_an_index(tmp_path: Path) -> None:
    """One scan of a site's articles per write made a 10,000-page crawl quadratic (36 pages/s,
    against 113 at 2,000; SQLite chose the (site, sha256) index for `site = ?` alone)."""
    db = open_archive(tmp_path / "archive.db")
    writer = ArchiveWriter(db)
    write_item(writer, article("https://x.go.th/news/1", "ข่าว 1", "เนื้อข่าว", "2023-05-01"))
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    write_item(writer, article("https://x.go.th/news/2", "ข่าว 2", "เนื้อข่าว", "2023-05-01", "https://x.go.th/?p=2"))
    write_item(writer, article("https://x.go.th/news/2", "ข่าว 2", "แก้ไขแล้ว", "2023-05-01", "https://x.go.th/?p=2"))
    db.conn.set_trace_callback(None)
    lookups = [sql for sql in statements if sql.lstrip().lower().startswith("select") and "articles" in sql]
    steps = [step for sql in lookups for (*_, step) in db.execute(f"explain query plan {sql}").fetchall()]
    assert len(lookups) >= 3 and steps
    assert not [step for step in steps if step.startswith("SCAN") or step.endswith("(site=?)")]
