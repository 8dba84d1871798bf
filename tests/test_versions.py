"""An archive archivists can trust: versions, removals, WARC captures, offline re-extraction."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.db import open_archive
from archive.history import iter_versions
from archive.warc import read_capture
from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import GOVARCHIVE, rows, run_cli, site_articles

EDITED_PARAGRAPH = "ข้อความนี้เพิ่มเข้ามาภายหลัง เพื่อแก้ไขรายละเอียดของข่าว"


def write_articles(folder: Path, articles: list[dict]) -> None:
    (folder / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def edited_archive(tmp_path_factory):
    """Crawl a site, edit one article on the server, crawl again; then remove another."""
    import shutil

    from mirror.site import SITES

    root = tmp_path_factory.mktemp("versions")
    folder = root / "site"
    shutil.copytree(SITES / "cdd-mirror", folder)
    db = root / "archive.db"
    articles = site_articles(folder)
    edited, removed = articles[5], articles[6]
    site = MirrorSite(folder)
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        edited["paragraphs"].append(EDITED_PARAGRAPH)
        edited["modified"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_articles(folder, articles)
        site.reload()
        second = run_cli("crawl", "--url", base_url, "--db", str(db)).stdout
        write_articles(folder, [a for a in articles if a is not removed])
        site.reload()
        before_third = len(site.log)
        third = run_cli("crawl", "--url", base_url, "--db", str(db), "--refresh").stdout
        served = {(answer.path, answer.sha256) for answer in site.log}
        third_answers = site.log[before_third:]
    article_paths = {site.article_path(a) for a in articles}
    url_of = lambda a: base_url + site.article_path(a).lstrip("/")  # noqa: E731
    return {
        "db": db,
        "edited": url_of(edited),
        "removed": url_of(removed),
        "second": second,
        "third": third,
        "served": served,
        "third_article_answers": [answer for answer in third_answers if answer.path in article_paths],
        "earlier_bodies": {answer.path: answer.sha256 for answer in site.log[:before_third] if answer.status == 200},
        "base_url": base_url,
    }


def version_counts(db: Path) -> dict[str, int]:
    return dict(rows(db, "select article_url, count(*) from article_versions group by article_url"))


def test_an_edit_on_the_site_becomes_a_second_version(edited_archive) -> None:
    counts = version_counts(edited_archive["db"])
    assert counts.pop(edited_archive["edited"]) == 2
    assert set(counts.values()) == {1} and len(counts) == 22
    assert "1 updated" in edited_archive["second"]
    (current,) = rows(
        edited_archive["db"], "select version, body from articles where url = ?", (edited_archive["edited"],)
    )
    assert current[0] == 2 and current[1].endswith(EDITED_PARAGRAPH)


def test_diff_shows_the_edit(edited_archive) -> None:
    out = run_cli("diff", edited_archive["edited"], "--db", str(edited_archive["db"])).stdout
    assert f"+{EDITED_PARAGRAPH}" in out
    assert "version 1" in out and "version 2" in out
    same = run_cli("diff", edited_archive["edited"], "--from", "1", "--to", "1", "--db", str(edited_archive["db"]))
    assert same.stdout.strip() == "the two versions have the same title and text"
    as_json = json.loads(run_cli("diff", edited_archive["edited"], "--json", "--db", str(edited_archive["db"])).stdout)
    assert as_json["versions"] == [1, 2] and f"+{EDITED_PARAGRAPH}" in as_json["diff"]


def test_diff_of_an_article_with_one_version_says_there_is_nothing_to_compare(edited_archive) -> None:
    (unchanged,) = rows(edited_archive["db"], "select url from articles where version = 1 limit 1")
    out = run_cli("diff", unchanged[0], "--db", str(edited_archive["db"])).stdout
    assert "has one version (fetched 20" in out and "not changed since it was archived" in out


def test_versions_lists_every_version_with_its_capture(edited_archive) -> None:
    db = str(edited_archive["db"])
    listed = json.loads(run_cli("versions", edited_archive["edited"], "--json", "--db", db).stdout)
    assert [v["version"] for v in listed] == [1, 2]
    assert listed[1]["characters"] > listed[0]["characters"] and all(v["warc_file"] for v in listed)
    table = run_cli("versions", edited_archive["edited"], "--db", str(edited_archive["db"])).stdout.splitlines()
    assert table[0].split("\t")[:2] == ["version", "fetched_at"] and len(table) == 3
    missing = run_cli("versions", edited_archive["edited"] + "nope", "--db", str(edited_archive["db"]), check=False)
    assert missing.returncode == 1 and "not in the archive" in missing.stderr


def test_diff_of_a_missing_version_says_which_exist(edited_archive) -> None:
    result = run_cli("diff", edited_archive["edited"], "--to", "9", "--db", str(edited_archive["db"]), check=False)
    assert result.returncode == 1 and "versions: [1, 2]" in result.stderr


def test_a_page_gone_from_the_site_is_marked_removed_not_deleted(edited_archive) -> None:
    (row,) = rows(
        edited_archive["db"], "select removed_at, body from articles where url = ?", (edited_archive["removed"],)
    )
    assert row[0] is not None and row[1]
    assert "1 removed" in edited_archive["third"]
    assert rows(edited_archive["db"], "select count(*) from articles where removed_at is not null") == [(1,)]


def test_refresh_revalidates_every_known_article_without_downloading_it(edited_archive) -> None:
    assert "0 new, 0 updated, 22 unchanged, 1 removed" in edited_archive["third"]
    answers = edited_archive["third_article_answers"]
    assert len(answers) == 23 and sum(a.status == 404 for a in answers) == 1
    downloaded = [a for a in answers if a.status == 200]
    # Only pages whose bytes changed (neighbours of the removed post list other links) are downloaded.
    assert all(a.sha256 != edited_archive["earlier_bodies"][a.path] for a in downloaded)
    assert sum(a.status == 304 for a in answers) == 22 - len(downloaded) >= 15


def test_every_version_records_its_provenance(edited_archive) -> None:
    sql = "select source_url, final_url, http_status, fetched_at, crawl_run, extractor from article_versions"
    for source_url, final_url, status, fetched_at, crawl_run, extractor in rows(edited_archive["db"], sql):
        assert source_url.startswith(edited_archive["base_url"]) and final_url.startswith(edited_archive["base_url"])
        assert status == 200 and fetched_at.endswith("+00:00") and crawl_run and extractor.startswith("trafilatura")


def test_every_version_pointer_reads_back_the_exact_bytes_served(edited_archive) -> None:
    db = open_archive(edited_archive["db"])
    versions = list(iter_versions(db))
    assert len(versions) == 24
    for version in versions:
        assert version.pointer is not None
        capture = read_capture(edited_archive["db"], version.pointer)
        path = "/" + capture.url.split("/", 3)[3]
        assert (path, hashlib.sha256(capture.body).hexdigest()) in edited_archive["served"]


def test_warc_files_pass_warcio_check_and_index(edited_archive) -> None:
    warcio = GOVARCHIVE.parent / "warcio"
    files = sorted((edited_archive["db"].parent / "warc").glob("*.warc.gz"))
    assert len(files) == 3  # one per crawl run
    check = subprocess.run([str(warcio), "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([str(warcio), "index", str(files[0])], capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in index.stdout.splitlines() if '"warc-type": "response"' in line]
    uris = [record["warc-target-uri"] for record in records]
    files = [uri for uri in uris if "/wp-content/uploads/" in uri]  # the articles' lead images
    assert len(uris) - len(files) == 23
    kept = {url for (url,) in rows(edited_archive["db"], "select url from attachments")}
    assert len(set(files)) == len(files) and set(files) <= kept


def test_reextract_offline_reproduces_the_same_text(edited_archive, tmp_path: Path) -> None:
    before = rows(
        edited_archive["db"], "select article_url, version, title, body, sha256 from article_versions order by 1, 2"
    )
    out = run_cli("reextract", "--db", str(edited_archive["db"])).stdout  # the mirror is no longer served
    assert out.startswith("24 versions: 0 changed, 24 unchanged")
    after = rows(
        edited_archive["db"], "select article_url, version, title, body, sha256 from article_versions order by 1, 2"
    )
    assert after == before
