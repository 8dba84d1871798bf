"""Attachments: the documents an article links on the agency's site and its lead image are
fetched once, captured in the WARC, their text read (scans through OCR) and found by search;
a file that cannot be fetched or read is a failure with its reason, never a failed run.

The site (tests/files/attachment-site) has three articles: one links a printed PDF and its scan,
one a Word file, an encrypted PDF and a missing one, one the printed PDF again. Needs
poppler-utils and tesseract-ocr-tha, as tests/test_documents.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from datasette.utils import tilde_encode

from archive.db import open_archive
from archive.search import search
from archive.warc import Pointer, read_capture
from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import rows, run_cli
from tests.test_documents import FILES, MISSING
from tests.test_serve import start_datasette

SITE = Path(__file__).parent / "files" / "attachment-site"
UPLOADS = "/wp-content/uploads/files/"
pytestmark = pytest.mark.skipif(bool(MISSING), reason="poppler-utils and tesseract-ocr-tha needed")


def copy_site(folder: Path) -> Path:
    """The site in a folder a test may edit, its files where site.json says."""
    shutil.copytree(SITE, folder)
    config = json.loads((folder / "site.json").read_text("utf-8"))
    config["files"] = str(FILES)
    (folder / "site.json").write_text(json.dumps(config, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, MirrorSite]]:
    site = MirrorSite(copy_site(tmp_path_factory.mktemp("site") / "attachment-site"))
    db = tmp_path_factory.mktemp("archive") / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        yield db, site


def files_of(db: Path, slug: str) -> list[tuple[str, str]]:
    sql = "select attachment_url, role from article_attachments where article_url like ? order by position"
    return [(name(url), role) for url, role in rows(db, sql, (f"%/{slug}/",))]


def name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_an_articles_lead_image_and_documents_are_kept_with_it_in_page_order(crawled: tuple[Path, MirrorSite]) -> None:
    db, _ = crawled
    assert files_of(db, "news-001") == [
        ("photo-101.jpg", "lead image"),
        ("notice.pdf", "document"),
        ("notice-scanned.pdf", "document"),
    ]
    assert files_of(db, "news-003") == [
        ("photo-103.jpg", "lead image"),
        ("notice.pdf", "document"),
        ("notice-copy.pdf", "document"),
    ]


def test_each_file_is_kept_once_as_fetched_in_the_warc(crawled: tuple[Path, MirrorSite]) -> None:
    db, site = crawled
    fetched = Counter(answer.path for answer in site.log if answer.path.startswith(UPLOADS))
    assert fetched[UPLOADS + "notice.pdf"] == 1  # two articles link it
    (sha256, size, *pointer), *_ = rows(
        db,
        "select sha256, bytes, warc_file, warc_offset, warc_length from attachments where url like ?",
        ("%/notice.pdf",),
    )
    body = (FILES / "notice.pdf").read_bytes()
    assert (sha256, size) == (hashlib.sha256(body).hexdigest(), len(body))
    assert read_capture(db, Pointer(*pointer)).body == body


def test_the_text_of_printed_scanned_and_word_files_is_read(crawled: tuple[Path, MirrorSite]) -> None:
    db, _ = crawled
    found = {name(url): method for url, method in rows(db, "select url, text_method from attachments")}
    assert found["notice.pdf"] == "pdftotext"
    assert found["notice-scanned.pdf"] == "ocr"
    assert found["notice.docx"] == "office"
    assert found["photo-101.jpg"] == "none"


def test_search_finds_a_word_in_a_scanned_document_and_says_which_page(crawled: tuple[Path, MirrorSite]) -> None:
    db, _ = crawled
    results = search(open_archive(db), "พยุหยาตรา")  # in the documents, in no article
    assert results.total == 0
    found = {name(hit.url): hit for hit in results.attachments}
    assert set(found) == {"notice.pdf", "notice-copy.pdf", "notice-scanned.pdf", "notice.docx"}
    assert found["notice-scanned.pdf"].page == 1
    assert str(found["notice-scanned.pdf"].article_url).endswith("/news-001/")
    assert "[พยุหยาตรา]" in found["notice-scanned.pdf"].snippet


def test_the_cli_search_shows_documents_with_their_page(crawled: tuple[Path, MirrorSite]) -> None:
    db, _ = crawled
    shown = run_cli("search", "พยุหยาตรา", "--db", str(db))
    assert "notice-scanned.pdf, page 1" in shown.stdout
    assert "4 of 4 attached files match" in shown.stderr


def test_missing_and_encrypted_files_are_failures_with_reasons_and_the_run_stays_ok(
    crawled: tuple[Path, MirrorSite],
) -> None:
    db, _ = crawled
    failures = {
        name(url): f"{kind}: {reason}" for url, kind, reason in rows(db, "select url, kind, reason from failures")
    }
    assert failures["missing.pdf"] == "http_error: attachment: HTTP 404"
    assert failures["encrypted.pdf"].startswith("unreadable: attachment unreadable: encrypted")
    [(status, figures)] = rows(db, "select status, attachments from crawl_runs")
    assert status == "ok"
    assert json.loads(figures)["failed"] == 2
    assert json.loads(figures)["fetched"] == 8  # three images, five documents
    assert json.loads(figures)["same_bytes"] == 1  # the copy: read once


def test_a_recrawl_never_downloads_an_unchanged_file_again(tmp_path: Path) -> None:
    site = MirrorSite(copy_site(tmp_path / "site"))
    db = tmp_path / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        articles = json.loads((site.folder / "articles.json").read_text("utf-8"))
        articles[0]["paragraphs"].append("ย่อหน้าที่เพิ่มภายหลัง เพื่อให้ข่าวเปลี่ยน")
        (site.folder / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), "utf-8")
        site.reload()
        first = len(site.log)
        run_cli("crawl", "--url", base_url, "--db", str(db), GOVARCHIVE_REVISIT_DAYS="0")
    again = Counter((a.path, a.status) for a in site.log[first:] if a.path.startswith("/wp-content/"))
    assert again[(UPLOADS + "notice.pdf", 304)] == 1  # re-validated: unchanged, not downloaded
    assert [key for key in again if key[1] == 200] == []
    [(figures,)] = rows(db, "select attachments from crawl_runs where id = 2")
    assert json.loads(figures)["unchanged"] >= 3


def test_a_file_over_its_size_bound_is_a_failure_naming_the_setting(tmp_path: Path) -> None:
    site = MirrorSite(copy_site(tmp_path / "site"))
    db = tmp_path / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db), GOVARCHIVE_ATTACHMENT_MAXSIZE="100000")
    [(kind, reason)] = rows(db, "select kind, reason from failures where url like '%notice-scanned.pdf'")
    assert (kind, reason) == ("too_large", "attachment: too large: over 100,000 bytes on the wire")
    [(bounds,)] = rows(db, "select bounds from crawl_runs")
    assert json.loads(bounds) == {"GOVARCHIVE_ATTACHMENT_MAXSIZE": 1}


def test_attachments_can_be_turned_off(tmp_path: Path) -> None:
    site = MirrorSite(copy_site(tmp_path / "site"))
    db = tmp_path / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db), GOVARCHIVE_ATTACHMENTS="")
    assert rows(db, "select count(*) from attachments") == [(0,)]
    assert not [a for a in site.log if a.path.startswith("/wp-content/")]


def fetch(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get("Content-Type", ""), response.read()


@pytest.fixture(scope="module")
def browsed(crawled: tuple[Path, MirrorSite]) -> Iterator[tuple[str, Path]]:
    db, _ = crawled
    with start_datasette(db) as root:
        yield f"{root}/{db.stem}", db


def test_an_articles_page_in_datasette_lists_its_files_and_shows_its_image(browsed: tuple[str, Path]) -> None:
    base, db = browsed
    [(url,)] = rows(db, "select url from articles where url like '%/news-001/'")
    _, page = fetch(f"{base}/articles/{tilde_encode(url)}")
    html = page.decode("utf-8")
    assert "notice-scanned.pdf" in html and "ocr" in html and "253,465 bytes" in html
    image = re.search(r'<img class="ga-image" src="([^"]+)"', html)
    assert image is not None
    kind, body = fetch(base.rsplit("/", 1)[0] + image.group(1))
    assert kind == "image/png" and body.startswith(b"\x89PNG")


def test_the_attachments_table_has_facets_and_text_search(browsed: tuple[str, Path]) -> None:
    base, _ = browsed
    _, page = fetch(f"{base}/attachments.json?_search=" + urllib.parse.quote("พยุหยาตรา") + "&_facet=media_type")
    found = json.loads(page)
    assert len(found["rows"]) == 4
    assert {value["value"] for value in found["facet_results"]["media_type"]["results"]} >= {"application/pdf"}


def test_the_datasette_search_page_shows_files_with_their_page(browsed: tuple[str, Path]) -> None:
    base, _ = browsed
    _, page = fetch(f"{base}/-/search?q=" + urllib.parse.quote("พยุหยาตรา"))
    html = page.decode("utf-8")
    assert "4 of 4 attached files" in html
    assert "notice-scanned.pdf</a>, page 1" in html


def test_files_over_the_runs_byte_budget_are_refused_and_the_crawl_goes_on(tmp_path: Path) -> None:
    """Files answered once the budget is spent are refused too: the crawl sends up to 16
    requests through the downloader at once, all of them before the first answer."""
    site = MirrorSite(copy_site(tmp_path / "site"))
    db = tmp_path / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db), GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN="1000")
    refused = rows(db, "select reason from failures where kind = 'budget'")
    assert refused
    assert all(reason.startswith("attachment: budget: this run fetched 1,000 bytes") for (reason,) in refused)
    [(status, new, bounds)] = rows(db, "select status, new, bounds from crawl_runs")
    assert (status, new) == ("ok", 3)
    assert json.loads(bounds)["GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN"] == len(refused)


def test_files_a_stopped_run_never_fetched_are_fetched_by_the_next(tmp_path: Path) -> None:
    site = MirrorSite(copy_site(tmp_path / "site"))
    db = tmp_path / "archive.db"
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        with sqlite3.connect(db) as connection:  # as if the run had stopped before fetching these
            connection.execute("delete from attachments where url like '%.jpg'")
        first = len(site.log)
        run_cli("crawl", "--url", base_url, "--db", str(db))
    again = [a.path for a in site.log[first:] if a.path.startswith("/wp-content/")]
    assert sorted(name(path) for path in again) == ["photo-101.jpg", "photo-102.jpg", "photo-103.jpg"]
    assert rows(db, "select count(*) from attachments where url like '%.jpg'") == [(3,)]
