"""The `govarchive` command as users run it: help everywhere, JSON out, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govarchive.cli import cli
from tests.conftest import FILES, run_cli
from tests.test_serve import free_port

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_a_description(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help, f"{command} has no help text"
    assert "Usage:" in result.output


def test_the_expected_commands_exist() -> None:
    assert {"crawl", "search", "extract", "stats", "serve", "sites"} <= set(COMMANDS)


@pytest.fixture
def demo_archive(mirror_archive: Path) -> Path:
    return mirror_archive


def test_search_json_lists_ranked_hits_with_snippets(demo_archive: Path) -> None:
    out = run_cli("search", "รางวัลเลิศรัฐ", "--json", "--db", str(demo_archive)).stdout
    answer = json.loads(out)
    hits = answer["hits"]
    assert answer["total"] == 1 and {"url", "title", "published", "agency", "snippet", "snippets"} <= set(hits[0])
    assert hits[0]["url"].endswith("/news-017/")
    assert "[รางวัลเลิศรัฐ]" in hits[0]["snippet"]


def test_search_limit(demo_archive: Path) -> None:
    answer = json.loads(run_cli("search", "กระทรวง", "--json", "--limit", "2", "--db", str(demo_archive)).stdout)
    assert len(answer["hits"]) == 2 and answer["total"] > 2


def test_search_text_output_shows_title_date_and_url(demo_archive: Path) -> None:
    out = run_cli("search", "เลิศรัฐ", "--db", str(demo_archive)).stdout
    assert "พช.คว้า 3 รางวัลเลิศรัฐ" in out and "2023-08-30T14:05:00+07:00" in out and "/news-017/" in out


def test_db_can_come_from_the_environment(demo_archive: Path, monkeypatch) -> None:
    monkeypatch.setenv("GOVARCHIVE_DB", str(demo_archive))
    assert json.loads(run_cli("stats", "--json").stdout)[0]["articles"] == 23


def test_stats_reports_articles_per_site(demo_archive: Path) -> None:
    (row,) = json.loads(run_cli("stats", "--json", "--db", str(demo_archive)).stdout)
    assert row["articles"] == 23 and row["oldest"].startswith("2016-11-18") and row["newest"].startswith("2024-06-18")


def test_extract_prints_the_clean_body() -> None:
    out = run_cli("extract", str(FILES / "cdd-mirror" / "article-seed.html")).stdout
    assert out.startswith("นายอรรษิษฐ์ สัมพันธรัตน์") and "Digiqole ad" not in out


def test_extract_json_from_stdin_has_every_field() -> None:
    html = (FILES / "cdd-mirror" / "article-seed.html").read_bytes()
    runner = CliRunner()
    result = runner.invoke(cli, ["extract", "--json", "--url", "https://www.cdd.go.th/?p=117", "-"], input=html)
    fields = json.loads(result.output)
    assert fields["published"] == "2023-08-30T14:05:00+07:00"
    assert fields["url"] == "https://www.cdd.go.th/news-017/"
    assert set(fields) >= {
        "title",
        "body",
        "modified",
        "authors",
        "language",
        "categories",
        "tags",
        "image",
        "extractor",
    }


def test_extract_of_a_page_without_text_fails_clearly() -> None:
    result = run_cli("extract", str(FILES / "cdd-mirror" / "article-empty-body.html"), check=False)
    assert result.returncode == 1 and "nothing to archive" in result.stderr


def test_extract_with_a_site_applies_its_rules_the_posts_own_tags_not_the_sidebars() -> None:
    page = str(FILES / "plain" / "wordpress-terms.html")
    generic = json.loads(run_cli("extract", "--json", page).stdout)
    as_cdd = json.loads(run_cli("extract", "--json", "--site", "cdd", page).stdout)
    assert generic["tags"] == ["budget", "flood", "learning"]  # the sidebar's tag cloud
    assert as_cdd["tags"] == ["learning", "OTOP"]


@pytest.mark.parametrize(
    ("page", "said"),
    [("listing-home.html", "a listing, not an article"), ("page-about.html", "neither an article nor a listing")],
)
def test_extract_reports_a_page_the_crawler_would_not_archive(page: str, said: str) -> None:
    result = run_cli("extract", "--site", "cdd", str(FILES / "cdd-mirror" / page), check=False)
    assert result.returncode == 1 and said in result.stderr and not result.stdout


def test_extract_with_an_unknown_site_names_the_closest() -> None:
    result = run_cli("extract", "--site", "cdx", str(FILES / "cdd-mirror" / "article-seed.html"), check=False)
    assert result.returncode == 2 and "did you mean 'cdd'" in result.stderr


def test_reading_a_missing_archive_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("stats", "--db", str(tmp_path / "none.db"), check=False)
    assert result.returncode == 1 and "govarchive crawl" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_crawl_without_a_target_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["crawl"])
    assert result.exit_code == 2 and "--url" in result.output


def test_crawl_of_an_unknown_site_names_the_sites_command() -> None:
    result = CliRunner().invoke(cli, ["crawl", "no-such-agency"])
    assert result.exit_code == 2 and "govarchive sites" in result.output


def test_a_mistyped_site_gets_the_closest_registered_name(tmp_path: Path) -> None:
    result = run_cli("crawl", "cdx", "--db", str(tmp_path / "a.db"), check=False)
    assert result.returncode == 2 and "did you mean 'cdd'?" in result.stderr
    assert len(result.stderr.strip().splitlines()[-1]) < 400 and "Traceback" not in result.stderr
    assert not (tmp_path / "a.db").exists()  # refused before anything ran


def test_export_of_a_site_not_in_the_archive_is_refused_with_a_suggestion(demo_archive: Path) -> None:
    host = json.loads(run_cli("stats", "--json", "--db", str(demo_archive)).stdout)[0]["site"]
    result = run_cli("export", "--site", host.replace("127", "172"), "--db", str(demo_archive), check=False)
    assert result.returncode == 2 and f"did you mean {host!r}?" in result.stderr and result.stdout == ""
    empty = run_cli("export", "--site", "", "--db", str(demo_archive), check=False)
    assert empty.returncode == 2 and "cannot be empty" in empty.stderr


def test_crawling_a_site_that_is_not_ours_without_a_contact_warns(tmp_path: Path) -> None:
    """127.0.0.2 is loopback (no traffic leaves the machine) but not one of our own servers."""
    unpaced = {"GOVARCHIVE_DOWNLOAD_DELAY": "0"}  # the refused robots.txt's retries at once: 2.6 s, not 5.3
    env = {"GOVARCHIVE_CONTACT": "", **unpaced}
    url = f"http://127.0.0.2:{free_port()}/"
    warned = run_cli("crawl", "--url", url, "--db", str(tmp_path / "a.db"), check=False, **env)
    assert "GOVARCHIVE_CONTACT is not set" in warned.stderr
    env = {"GOVARCHIVE_CONTACT": "mailto:archivist@example.org", **unpaced}
    quiet = run_cli("crawl", "--url", url, "--db", str(tmp_path / "a.db"), check=False, **env)
    assert "GOVARCHIVE_CONTACT" not in quiet.stderr


def test_forget_removes_a_mistyped_sites_runs_and_check_stops_reporting_it(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    mistyped = f"http://127.0.0.1:{free_port()}/"  # nothing listens: the run fails, archiving nothing
    run_cli("crawl", "--url", mistyped, "--db", db, check=False)
    site = mistyped.split("/")[2]
    assert site in run_cli("check", "--db", db, check=False).stdout
    assert "1 crawl_runs" in run_cli("forget", site, "--db", db).stdout
    assert run_cli("check", "--db", db).stdout.strip() == "all sites healthy"


def test_forget_keeps_a_sites_articles_unless_told(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(demo_archive.read_bytes())
    host = json.loads(run_cli("stats", "--json", "--db", str(db)).stdout)[0]["site"]
    kept = run_cli("forget", host, "--db", str(db), check=False)
    assert kept.returncode == 2 and "23 archived articles" in kept.stderr and "--articles" in kept.stderr
    run_cli("forget", host, "--articles", "--yes", "--db", str(db))
    assert json.loads(run_cli("stats", "--json", "--db", str(db)).stdout) == []
    assert json.loads(run_cli("search", "เลิศรัฐ", "--json", "--db", str(db)).stdout)["hits"] == []


def test_crawl_of_an_unreachable_site_exits_non_zero(tmp_path: Path) -> None:
    result = run_cli("crawl", "--url", "http://127.0.0.1:9/", "--db", str(tmp_path / "a.db"), check=False)
    assert result.returncode == 1 and "FAILED" in result.stdout


def test_sites_lists_cdd_first_target() -> None:
    out = run_cli("sites").stdout
    assert "cdd\tกรมการพัฒนาชุมชน\tCommunity Development Department\thttps://www.cdd.go.th/\twordpress" in out
    (cdd,) = [site for site in json.loads(run_cli("sites", "--json").stdout) if site["id"] == "cdd"]
    assert cdd["agency"] == "กรมการพัฒนาชุมชน" and cdd["last_run"] == "never"


def recording_in(tmp_path: Path) -> Path:
    """An earlier recording that a failed `record` must leave as it was."""
    folder = tmp_path / "cdd"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"earlier": true}', encoding="utf-8")
    return folder


def test_record_with_a_mistyped_site_leaves_the_old_recording(tmp_path: Path) -> None:
    folder = recording_in(tmp_path)
    result = run_cli("record", "cdx", "--out", str(folder), check=False)
    assert result.returncode == 2 and "did you mean 'cdd'?" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["manifest.json"]


def test_record_of_a_site_that_is_down_leaves_the_old_recording(tmp_path: Path) -> None:
    folder = recording_in(tmp_path)
    down = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = run_cli("record", "cdd", "--base-url", down, "--out", str(folder), "--pages", "1", check=False)
    assert result.returncode == 1 and "no article was recorded" in result.stderr and "is unchanged" in result.stderr
    assert (folder / "manifest.json").read_text("utf-8") == '{"earlier": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["cdd"]  # no scratch folder left behind


def test_record_replaces_the_old_recording_when_it_succeeds(serve, tmp_path: Path) -> None:
    folder = recording_in(tmp_path)
    run_cli("record", "cdd", "--base-url", serve("cdd-mirror"), "--out", str(folder), "--pages", "2")
    assert not (folder / "manifest.json").read_text("utf-8").startswith('{"earlier"')


@pytest.mark.parametrize(
    "url", ["notaurl", "ftp://www.example.go.th/", "http:///news/", "http://[::1/", "http://127.0.0.1:99999/"]
)
def test_crawl_refuses_what_is_not_an_http_url_in_one_line(url: str, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = run_cli("crawl", "--url", url, "--db", str(db), check=False)
    assert result.returncode == 2 and "is not an http(s) URL with a host" in result.stderr
    assert "Traceback" not in result.stderr and not db.exists()  # nothing ran, no run recorded


def test_export_since_takes_a_buddhist_era_day_as_the_same_day(mirror_archive: Path) -> None:
    common = run_cli("export", "--since", "2023-01-01", "--db", str(mirror_archive)).stdout.splitlines()
    buddhist = run_cli("export", "--since", "2566-01-01", "--db", str(mirror_archive)).stdout.splitlines()
    assert common and buddhist == common


@pytest.mark.parametrize("since", ["01/02/2023", "yesterday", "2023-13-01"])
def test_export_since_refuses_what_is_not_a_day(since: str, mirror_archive: Path) -> None:
    result = run_cli("export", "--since", since, "--db", str(mirror_archive), check=False)
    assert result.returncode == 2 and "use YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("crawl", "--base-url", "notaurl", "cdd"),
        ("serve", "--port", "99999"),
        ("export", "--since", "2023-13-01"),
        ("crawl", "--max-pages", "-1", "cdd"),
        ("forget", ""),
        ("search", "เลิศรัฐ", "--agency", " "),
        ("search", "เลิศรัฐ", "--lang", ""),
    ],
)
def test_a_users_mistake_is_one_usage_line_naming_the_option(args: tuple[str, ...], demo_archive: Path) -> None:
    result = run_cli(*args, "--db", str(demo_archive), check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value")
