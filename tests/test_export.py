"""Export streams the current version of each article, with metadata and provenance."""

from __future__ import annotations

import csv
import io
import json
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
