"""Export streams the current version of each article, with metadata and provenance."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import rows, run_cli


@pytest.fixture
def archive(mirror_archive: Path) -> Path:
    return mirror_archive


def test_jsonl_has_one_line_per_article_with_provenance(archive: Path) -> None:
    lines = run_cli("export", "--db", str(archive)).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 23 and len({r["url"] for r in records}) == 23
    seed = next(r for r in records if r["url"].endswith("/news-017/"))
    assert seed["tags"] == ["รางวัลเลิศรัฐ", "PMQA"] and seed["version"] == 1
    assert {"source_url", "final_url", "http_status", "fetched_at", "sha256", "extractor", "crawl_run"} <= set(seed)


def test_csv_has_a_header_and_a_row_per_article(archive: Path) -> None:
    text = run_cli("export", "--format", "csv", "--db", str(archive)).stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 23 and table[0]["url"].startswith("http://127.0.0.1:")


def test_since_filters_on_publication_date(archive: Path) -> None:
    lines = run_cli("export", "--since", "2024-01-01", "--db", str(archive)).stdout.splitlines()
    published = [json.loads(line)["published"] for line in lines]
    assert len(published) == 6 and all(p >= "2024-01-01" for p in published)


def test_site_filter_and_output_file(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    (site,) = {row[0] for row in rows(archive, "select site from articles")}
    result = run_cli("export", "--site", site, "-o", str(out), "--db", str(archive))
    assert len(out.read_text("utf-8").splitlines()) == 23 and f"exported 23 articles of {site}" in result.stderr
    refused = run_cli("export", "--site", "nowhere", "-o", str(tmp_path / "y.jsonl"), "--db", str(archive), check=False)
    assert refused.returncode == 2 and "no site 'nowhere' in this archive" in refused.stderr


def wacz_pages(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as wacz:
        return [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]]


def test_a_wacz_export_is_valid_and_lists_every_article_as_a_page(archive: Path, tmp_path: Path) -> None:
    from wacz.main import main as wacz

    out = tmp_path / "cdd.wacz"
    result = run_cli("export", "--format", "wacz", "-o", str(out), "--db", str(archive))
    assert "exported 23 articles" in result.stderr
    assert wacz(["validate", "-f", str(out)]) == 0  # Webrecorder's validator: WACZ 1.1.1, digests
    captured = {url for (url,) in rows(archive, "select final_url from article_versions")}
    pages = wacz_pages(out)
    assert len(pages) == 23 and {page["url"] for page in pages} == captured
    seed = next(page for page in pages if page["url"].endswith("/news-017/"))
    assert [(seed["title"],)] == rows(archive, "select title from articles where url like '%/news-017/'")
    with zipfile.ZipFile(out) as package:
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode("utf-8")
    assert all(url.split("://", 1)[1].rstrip("/") in index for url in captured)


def test_a_wacz_export_with_a_damaged_capture_leaves_that_article_out_and_names_it(
    archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(archive, db)
    shutil.copytree(archive.parent / "warc", tmp_path / "warc")
    url, warc_file, offset = rows(db, "select final_url, warc_file, warc_offset from article_versions limit 1")[0]
    with (tmp_path / warc_file).open("r+b") as file:
        file.seek(offset + 40)
        file.write(b"\x00" * 64)
    result = run_cli("export", "--format", "wacz", "-o", str(tmp_path / "out.wacz"), "--db", str(db))
    assert "exported 22 articles" in result.stderr and f"its capture is damaged: {url}" in result.stderr
    assert len(wacz_pages(tmp_path / "out.wacz")) == 22


def test_a_wacz_export_needs_a_file_to_write(archive: Path) -> None:
    result = run_cli("export", "--format", "wacz", "--db", str(archive), check=False)
    assert result.returncode == 2 and "give -o FILE.wacz" in result.stderr and not result.stdout


def test_a_wacz_export_that_matches_nothing_says_so_and_leaves_no_file(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.wacz"
    result = run_cli(
        "export", "--format", "wacz", "--since", "2100-01-01", "-o", str(out), "--db", str(archive), check=False
    )
    assert result.returncode == 1 and "nothing to export" in result.stderr and not out.exists()
