"""A page fetched again that answers with the very bytes archived before (a site that sends no
validators, so no 304) is written to the WARC file as a revisit record naming the earlier
capture, not as a second copy of the page; a page whose bytes changed is captured whole."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from redis import Redis
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.history import KnownPage
from archive.warc import Capture, Original, Pointer, point_at, read_capture, response_record
from crawler import settings, wire
from crawler.handoff import results_key
from crawler.ingest import Ingest
from crawler.items import Article, FetchedPage
from crawler.pipelines import ExtractPipeline
from crawler.spiders.cms import UrlNewsSpider
from mirror.server import serving
from mirror.site import SITES, MirrorSite
from tests.conftest import GOVARCHIVE, read_fixture, rows, run_cli, site_articles

EDITED_PARAGRAPH = "ข้อความนี้เพิ่มเข้ามาภายหลัง เพื่อแก้ไขรายละเอียดของข่าว"
PAGE = read_fixture("plain", "deep-jsonld-article.html").encode()
FETCHED_AT = "2026-12-01T09:00:00+07:00"


def records(path: Path) -> list[dict[str, str]]:
    """Each record's WARC headers, as a replay tool reads them (digests checked)."""
    with path.open("rb") as stream:
        return [dict(record.rec_headers.headers) for record in ArchiveIterator(stream, check_digests="raise")]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A site without validators crawled, one article edited, then every article fetched again."""
    folder = tmp_path_factory.mktemp("same-bytes")
    shutil.copytree(SITES / "cdd-mirror", folder / "site")
    db = folder / "archive.db"
    site = MirrorSite(folder / "site")
    site.sends_validators = False
    articles = site_articles(folder / "site")
    edited = articles[3]
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db), "--routes", "sitemap")
        edited["paragraphs"].append(EDITED_PARAGRAPH)
        (folder / "site" / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
        site.reload()
        run_cli("crawl", "--url", base_url, "--db", str(db), "--routes", "sitemap", "--refresh")
    first, second = sorted((folder / "warc").glob("*.warc.gz"))
    return {"db": db, "first": first, "second": second, "edited": base_url + site.article_path(edited).lstrip("/")}


def test_a_page_fetched_again_with_the_same_bytes_is_a_revisit_record(refreshed: dict) -> None:
    first = {r["WARC-Target-URI"]: r for r in records(refreshed["first"]) if r["WARC-Type"] == "response"}
    again = [r for r in records(refreshed["second"]) if r["WARC-Type"] == "revisit"]
    assert len(again) >= 20
    for revisit in again:
        original = first[revisit["WARC-Refers-To-Target-URI"]]
        assert revisit["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
        assert revisit["WARC-Refers-To-Date"] == original["WARC-Date"]
        assert revisit["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert refreshed["edited"] not in {r["WARC-Target-URI"] for r in again}


def test_a_page_whose_bytes_changed_is_captured_whole(refreshed: dict) -> None:
    captured = [r["WARC-Target-URI"] for r in records(refreshed["second"]) if r["WARC-Type"] == "response"]
    assert refreshed["edited"] in captured
    (version,) = rows(
        refreshed["db"],
        "select warc_file, warc_offset, warc_length from article_versions where article_url = ? and version = 2",
        (refreshed["edited"],),
    )
    assert EDITED_PARAGRAPH.encode() in read_capture(refreshed["db"], Pointer(*version)).body


def test_fetching_an_unchanged_site_again_costs_a_fraction_of_its_first_capture(refreshed: dict) -> None:
    """The refresh holds every page's headers and one changed page: far less than one copy."""
    assert refreshed["second"].stat().st_size < refreshed["first"].stat().st_size / 4


def test_warc_files_with_revisits_pass_warcio_check(refreshed: dict) -> None:
    warcio = GOVARCHIVE.parent / "warcio"
    check = subprocess.run(
        [str(warcio), "check", str(refreshed["first"]), str(refreshed["second"])], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_version_keeps_the_payload_digest_of_its_capture(refreshed: dict) -> None:
    versions = rows(refreshed["db"], "select warc_file, warc_offset, warc_length, payload_digest from article_versions")
    assert versions
    for *pointer, digest in versions:
        capture = read_capture(refreshed["db"], Pointer(*pointer))
        assert response_record(capture, FETCHED_AT).payload_digest == digest


def test_a_new_text_from_the_same_bytes_is_read_from_the_original_capture(tmp_path: Path) -> None:
    """The page did not change, its text did (a site's extraction rules were mended): the new
    version's pointer is the capture of those bytes, as a revisit record holds none."""
    ours = {name: value for name, value in vars(settings).items() if name.startswith("GOVARCHIVE_")}
    in_process = {"GOVARCHIVE_DB": str(tmp_path / "archive.db"), "GOVARCHIVE_EXTRACT_WORKERS": "0"}
    crawler = get_crawler(UrlNewsSpider, {**ours, **in_process})
    crawler.spider = UrlNewsSpider.from_crawler(crawler, base_url="http://127.0.0.1/")
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    url = "http://127.0.0.1/2023/05/02/an-article/"
    page = FetchedPage(
        url, url, 200, PAGE, [("Content-Type", "text/html; charset=utf-8")], "site", "Agency", FETCHED_AT
    )
    first = asyncio.run(pipeline.process_item(page))
    assert isinstance(first, Article) and first.warc_file is not None and first.payload_digest is not None
    where = Pointer(first.warc_file, first.warc_offset or 0, first.warc_length or 0)
    original = Original(url, FETCHED_AT, first.payload_digest, where)
    crawler.spider.revisits.known[url] = KnownPage(url, FETCHED_AT, None, None, original)
    again = asyncio.run(pipeline.process_item(replace(page, fetched_at="2026-12-02T09:00:00+07:00")))
    pipeline.close_spider()
    assert isinstance(again, Article)
    assert Pointer(again.warc_file or "", again.warc_offset or 0, again.warc_length or 0) == where
    assert read_capture(tmp_path / "archive.db", where).body == PAGE
    types = [r["WARC-Type"] for r in records(tmp_path / where.warc_file)]
    assert types == ["warcinfo", "response", "revisit"]


def test_a_capture_of_other_bytes_is_a_response_record() -> None:
    capture = Capture("http://127.0.0.1/a/", 200, [("Content-Type", "text/html")], PAGE)
    earlier = response_record(capture, FETCHED_AT)
    original = Original(capture.url, FETCHED_AT, earlier.payload_digest or "", Pointer("a.warc.gz", 0, 1))
    changed = response_record(replace(capture, body=PAGE + b"<!-- -->"), FETCHED_AT, original)
    same = response_record(capture, FETCHED_AT, original)
    assert (earlier.revisit, changed.revisit, same.revisit) == (False, False, True)
    (revisit,) = ArchiveIterator(BytesIO(same.data), check_digests="raise")
    assert revisit.rec_type == "revisit" and revisit.content_stream().read() == b""


def test_a_known_pages_capture_crosses_redis_as_json_unchanged() -> None:
    """Workers of a shared crawl learn the known pages through Redis (crawler/coordination.py)."""
    original = Original("http://127.0.0.1/a/", FETCHED_AT, "sha1:ABC", Pointer("warc/a.warc.gz", 120, 3456))
    page = KnownPage("http://127.0.0.1/a/", FETCHED_AT, '"v1"', None, original)
    assert KnownPage.from_dict(json.loads(json.dumps(page.to_dict()))) == page


def test_the_writer_of_a_shared_crawl_leaves_a_revisit_pointing_at_the_original(frontier: str, tmp_path: Path) -> None:
    """In a shared crawl a worker hands the WARC record to `govarchive ingest` with the result:
    the writer appends a revisit record but keeps the version's pointer at the original's
    bytes (set by the worker); a response record is pointed at where it was appended."""
    url = "http://127.0.0.1/2023/05/02/an-article/"
    capture = Capture(url, 200, [("Content-Type", "text/html; charset=utf-8")], PAGE)
    first = response_record(capture, FETCHED_AT)
    redis = Redis.from_url(frontier)
    ingest = Ingest(redis, "test", str(tmp_path / "archive.db"), quiet=1.0, revisit_days=30)
    handed = Article(url, "site", "Agency", "A title", "The text.", url, 200, FETCHED_AT, "x", capture=first.data)
    redis.xadd(results_key("test"), wire.encode_result(handed))  # type: ignore[arg-type]
    assert ingest.ingest_batch() == 1
    pointers = "select warc_file, warc_offset, warc_length from article_versions order by version"
    ((warc_file, offset, length),) = rows(tmp_path / "archive.db", pointers)
    where = Pointer(warc_file, offset, length)
    again = response_record(
        capture, "2026-12-02T09:00:00+07:00", Original(url, FETCHED_AT, first.payload_digest or "", where)
    )
    mended = replace(handed, body="The text, read again by mended rules.", capture=again.data)
    point_at(mended, where)
    redis.xadd(results_key("test"), wire.encode_result(mended))  # type: ignore[arg-type]
    assert ingest.ingest_batch() == 1
    ingest.close()
    assert rows(tmp_path / "archive.db", pointers) == [(warc_file, offset, length)] * 2
    assert read_capture(tmp_path / "archive.db", where).body == PAGE
    assert [r["WARC-Type"] for r in records(tmp_path / warc_file)] == ["warcinfo", "response", "revisit"]
