"""How the commands speak to a person at a terminal, to a pipe or cron, and to a program:
tables aligned by the width of Thai text, progress bars or plain progress lines, -q and -v,
--json on every command that lists."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from wcwidth import wcswidth

from tests.conftest import GOVARCHIVE, run_cli
from tests.processes import in_terminal

BAR = re.compile(r"\d+/\d+ \[[0-9:]+<[0-9:?]+, +[0-9.?]+ ?(pages|versions|articles)/s")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal(*args: str, **env_vars: str) -> str:
    env = {**os.environ, "GOVARCHIVE_PROGRESS_INTERVAL": "0", "TERM": "xterm", **env_vars}
    return ANSI.sub("", in_terminal([str(GOVARCHIVE), *args], env)).replace("\r\n", "\n")


@pytest.fixture
def archive_copy(mirror_archive: Path, tmp_path: Path) -> Path:
    """The crawled mirror, copied with its warc/ folder so commands that write may."""
    copy = tmp_path / "archive"
    shutil.copytree(mirror_archive.parent, copy, ignore=shutil.ignore_patterns("httpcache"))
    return copy / mirror_archive.name


def test_tables_at_a_terminal_align_thai_columns_by_their_width_on_screen() -> None:
    lines = [line for line in terminal("sites", "--db", "/nonexistent/a.db").splitlines() if line.strip()]
    _header, rule, *rows = lines
    assert set(rule.replace(" ", "")) == {"-"}
    # every column starts where its rule starts, whatever the Thai text before it
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    agency_en = starts[2]
    cdd = next(row for row in rows if row.startswith("cdd "))
    prefix = cdd[: cdd.index("Community Development Department")]
    assert wcswidth(prefix) == agency_en


def test_tables_in_a_pipe_are_tab_separated_with_a_header() -> None:
    lines = run_cli("sites", "--db", "/nonexistent/a.db").stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["id", "agency", "agency_en"]
    assert all(len(line.split("\t")) == len(lines[0].split("\t")) for line in lines)


@pytest.mark.parametrize("command", ["stats", "sites", "check"])
def test_listing_commands_print_json(command: str, mirror_archive: Path) -> None:
    result = run_cli(command, "--json", "--db", str(mirror_archive), check=False)
    assert result.returncode in (0, 1)
    assert isinstance(json.loads(result.stdout), list)


def test_a_crawl_at_a_terminal_draws_a_progress_bar_and_prints_its_summary_once(serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    shown = terminal("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"))
    assert BAR.search(shown), shown[-2000:]
    assert "23 new" in shown and shown.count("23 new, 0 updated, 0 unchanged") == 1
    assert "Scrapy" not in shown and "Spider opened" not in shown  # no banner, no engine chatter


def test_a_crawl_in_a_log_prints_progress_lines_not_a_bar(serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    result = run_cli("crawl", "--url", base_url, "--db", str(tmp_path / "a.db"), GOVARCHIVE_PROGRESS_INTERVAL="0.2")
    assert "progress: " in result.stderr and "\r" not in result.stderr + result.stdout
    assert result.stdout.count(": ok: ") == 1 and "Scrapy 2" not in result.stderr


def test_quiet_prints_nothing_when_all_is_well_and_verbose_shows_scrapys_log(serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    quiet = run_cli("crawl", "-q", "--url", base_url, "--db", str(tmp_path / "a.db"))
    assert quiet.stdout == "" and quiet.stderr == ""
    verbose = run_cli("crawl", "-v", "--url", base_url, "--db", str(tmp_path / "a.db"))
    assert "Spider opened" in verbose.stderr and "23 known articles not due for a revisit" in verbose.stdout


def test_a_re_crawl_says_what_became_of_the_known_articles(mirror_archive: Path, serve, tmp_path: Path) -> None:
    base_url = serve("cdd-mirror")
    db = str(tmp_path / "a.db")
    run_cli("crawl", "--url", base_url, "--db", db)
    again = run_cli("crawl", "--url", base_url, "--db", db).stdout
    assert "0 new, 0 updated, 0 unchanged" in again and "23 known articles not due for a revisit (skipped)" in again


def test_reextract_and_export_show_progress_at_a_terminal_and_in_a_log(archive_copy: Path, tmp_path: Path) -> None:
    assert re.search(r"23/23 \[.*versions/s", terminal("reextract", "--db", str(archive_copy)))
    logged = run_cli("reextract", "--db", str(archive_copy), GOVARCHIVE_PROGRESS_INTERVAL="0.000001").stderr
    assert re.search(r"reextract: \d+ of 23 versions \(\d+%\), [0-9.]+/s", logged), logged
    out = tmp_path / "export.jsonl"
    assert re.search(r"23/23 \[.*articles/s", terminal("export", "-o", str(out), "--db", str(archive_copy)))
    quiet = run_cli("export", "-q", "-o", str(out), "--db", str(archive_copy), GOVARCHIVE_PROGRESS_INTERVAL="0.000001")
    assert quiet.stderr == "" and len(out.read_text("utf-8").splitlines()) == 23


def test_export_csv_with_a_bom_opens_in_excel_as_utf8(mirror_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    run_cli("export", "--format", "csv", "--bom", "-o", str(out), "--db", str(mirror_archive))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfurl,site,") and "เลิศรัฐ".encode() in data
    plain = run_cli("export", "--format", "csv", "--db", str(mirror_archive)).stdout
    assert plain.startswith("url,site,")
    refused = run_cli("export", "--bom", "--db", str(mirror_archive), check=False)
    assert refused.returncode == 2 and "--format csv" in refused.stderr


def test_doctor_prints_the_effective_configuration_and_what_is_missing(mirror_archive: Path) -> None:
    db = str(mirror_archive)
    doctor = run_cli("doctor", "--json", "--db", db, GOVARCHIVE_CONTACT="", GOVARCHIVE_DOWNLOAD_DELAY="3")
    report = json.loads(doctor.stdout)
    assert report["archive"]["articles"] == 23 and report["archive"]["schema"] == "up to date"
    assert report["crawl"]["DOWNLOAD_DELAY"] == 3.0 and report["environment"]["GOVARCHIVE_DOWNLOAD_DELAY"] == "3"
    assert {"scrapy", "trafilatura", "SQLite", "FTS5 trigram"} <= set(report["libraries"])
    assert report["missing"] == [] and any("GOVARCHIVE_CONTACT" in w for w in report["warnings"])
    contact = "mailto:archivist@example.org"
    told = json.loads(run_cli("doctor", "--json", "--db", str(mirror_archive), GOVARCHIVE_CONTACT=contact).stdout)
    assert told["warnings"] == [] and contact in told["crawl"]["USER_AGENT"]


def test_doctor_names_the_programs_that_read_attachments_and_a_missing_ocr_model(mirror_archive: Path) -> None:
    report = json.loads(
        run_cli("doctor", "--json", "--db", str(mirror_archive), GOVARCHIVE_OCR_LANGUAGES="tha+xyz").stdout
    )
    assert set(report["programs"]) >= {"pdftotext", "pdftoppm", "tesseract"}
    assert any("apt-get install -y tesseract-ocr-xyz" in warning for warning in report["warnings"])


def test_doctor_exits_non_zero_naming_what_is_missing(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("not a database", "utf-8")
    result = run_cli("doctor", "--db", str(other), check=False)
    assert result.returncode == 1 and "missing: " in result.stdout and "not an archive" in result.stdout
