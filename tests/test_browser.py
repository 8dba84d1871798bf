"""The archivist's view, used as a person would: real datasette, real headless Chromium.

Screenshots of each page land in test-artifacts/. Needs Debian's chromium and
chromium-driver (installed by .ci/run); without them these tests skip, unless
GOVARCHIVE_REQUIRE_BROWSER=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import http.server
import io
import json
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from mirror.server import serving
from mirror.site import SITES, MirrorSite
from tests.conftest import FILES, run_cli, serving_on_loopback, site_articles
from tests.test_serve import get_json, start_datasette

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("GOVARCHIVE_REQUIRE_BROWSER") == "1":
        raise RuntimeError("chromium and chromedriver are required: apt-get install -y chromium chromium-driver")
    pytest.skip("no chromium/chromedriver (apt-get install -y chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402 - only when a browser exists
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SEED_TITLE = "พช.คว้า 3 รางวัลเลิศรัฐ การันตีคุณภาพการบริหารจัดการภาครัฐ"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Iterator[dict]:
    """A crawled archive with a hostile article, one edited and one removed article; served."""
    root = tmp_path_factory.mktemp("browser")
    folder = root / "site"
    shutil.copytree(SITES / "cdd-mirror", folder)
    articles = [*site_articles(folder), json.loads((FILES / "hostile-article.json").read_text("utf-8"))]
    save = lambda items: (folder / "articles.json").write_text(json.dumps(items, ensure_ascii=False), "utf-8")  # noqa: E731
    save(articles)
    db = root / "archive.db"
    site = MirrorSite(folder)
    with serving(site) as base_url:
        run_cli("crawl", "--url", base_url, "--db", str(db))
        articles[0]["paragraphs"].append("ย่อหน้าที่เพิ่มเข้ามาหลังการเผยแพร่")
        articles[0]["modified"] = datetime.now(UTC).isoformat(timespec="seconds")
        save([a for a in articles if a["id"] != articles[1]["id"]])
        site.reload()
        run_cli("crawl", "--url", base_url, "--db", str(db), "--refresh")
    with start_datasette(db) as root_url:
        yield {
            "root": root_url,
            "db": "archive",
            "base_url": base_url,
            "edited": base_url + site.article_path(articles[0]).lstrip("/"),
            "removed": base_url + site.article_path(articles[1]).lstrip("/"),
            "path": db,
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    profile = tempfile.mkdtemp(prefix="chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def row_url(archive: dict, url: str) -> str:
    return f"{archive['root']}/{archive['db']}/articles/{urllib.parse.quote(url, safe='')}"


def test_typing_a_thai_word_in_the_search_box_finds_the_article(archive, browser) -> None:
    browser.get(f"{archive['root']}/{archive['db']}/articles")
    box = browser.find_element(By.CSS_SELECTOR, 'input[name="_search"]')
    box.send_keys("เลิศรัฐ", Keys.ENTER)
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/-/search?q="))  # the one search page
    screenshot(browser, "search-thai")
    assert SEED_TITLE in browser.find_element(By.TAG_NAME, "body").text
    marks = [m.get_attribute("textContent") for m in browser.find_elements(By.CSS_SELECTOR, ".ga-snippet mark")]
    assert marks and all(m == "เลิศรัฐ" for m in marks)


def test_the_json_api_answers_the_same_search(archive) -> None:
    query = urllib.parse.quote("เลิศรัฐ")
    answer = get_json(f"{archive['root']}/{archive['db']}/articles.json?_search={query}")
    assert [hit["title"] for hit in answer["hits"]] == [SEED_TITLE] and answer["total"] == 1
    assert "\x02เลิศรัฐ\x03" in answer["hits"][0]["snippet"]


def test_an_article_page_reads_as_paragraphs_with_its_sources(archive, browser) -> None:
    seed = archive["base_url"] + "news-017/"
    browser.get(row_url(archive, seed))
    screenshot(browser, "article-page")
    text = browser.find_element(By.TAG_NAME, "body").text
    assert SEED_TITLE in text and "2023-08-30 14:05 +07:00" in text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ga-body p")) == 4
    assert browser.find_elements(By.CSS_SELECTOR, f'a[href="{seed}"]'), "no link to the original"
    browser.find_element(By.LINK_TEXT, "all versions").click()
    assert "1 row" in browser.find_element(By.TAG_NAME, "body").text


def test_markup_in_archived_text_stays_inert(archive, browser) -> None:
    browser.get(f"{archive['root']}/{archive['db']}/articles?_search=" + urllib.parse.quote("ทดสอบความปลอดภัย"))
    screenshot(browser, "hostile-search")
    links = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "td a")]
    hostile = [href for href in links if href.startswith(archive["root"]) and "hostile" in href]
    for page in [browser.current_url, *hostile, row_url(archive, archive["base_url"] + "hostile/")]:
        browser.get(page)
        assert browser.execute_script("return window.pwned === undefined"), f"script ran on {page}"
        assert not browser.find_elements(By.CSS_SELECTOR, "td iframe, td img[onerror], td a[href^='javascript:']")
    screenshot(browser, "hostile-article")
    assert "<script>window.pwned = 'title'</script>" in browser.find_element(By.TAG_NAME, "body").text


def canned(archive: dict, name: str, **params: str) -> list[dict]:
    query = urllib.parse.urlencode({**params, "_shape": "objects"})
    return get_json(f"{archive['root']}/{archive['db']}/{name}.json?{query}")["rows"]


def test_canned_queries_return_the_right_rows(archive) -> None:
    changed = canned(archive, "changed_after_publication")
    assert [(r["url"], r["versions"]) for r in changed] == [(archive["edited"], 2)]
    assert [r["url"] for r in canned(archive, "removed")] == [archive["removed"]]
    runs = canned(archive, "recent_runs")
    assert [r["status"] for r in runs] == ["ok", "ok"] and runs[0]["removed"] == 1
    assert canned(archive, "recent_failures")[0]["http_status"] == 404
    months = {(r["month"], r["articles"]) for r in canned(archive, "per_agency_month")}
    assert ("2023-08", 1) in months and sum(n for _, n in months) == 24
    latest = canned(archive, "latest_per_agency")
    assert len(latest) == 5 and latest[0]["published"] == "2024-07-01T09:00:00+07:00"


def test_the_served_archive_is_read_only(archive) -> None:
    from urllib.error import HTTPError

    sql = urllib.parse.quote("delete from articles")
    with pytest.raises(HTTPError):
        get_json(f"{archive['root']}/{archive['db']}.json?sql={sql}")
    assert len(canned(archive, "removed")) == 1


# -- An archivist's first screens (1280x900) ------------------------------------------------
def on_first_screen(browser: webdriver.Chrome, url: str, name: str) -> dict:
    """Open `url` in a 1280x900 window; the first table row's top, the window's inner height."""
    browser.set_window_size(1280, 900)
    try:
        browser.get(url)
        screenshot(browser, name)
        return browser.execute_script(
            "const row = document.querySelector('table.rows-and-columns tbody tr');"
            "return {top: row ? row.getBoundingClientRect().top : null, height: window.innerHeight};"
        )
    finally:
        browser.set_window_size(1280, 1600)


def test_the_articles_tables_first_row_is_on_the_first_screen(archive, browser) -> None:
    seen = on_first_screen(browser, f"{archive['root']}/{archive['db']}/articles", "first-screen-articles")
    assert seen["top"] is not None and seen["top"] < min(900, seen["height"]), seen
    folded = browser.find_element(By.CSS_SELECTOR, "details.ga-columns")
    assert folded.get_attribute("open") is None and "Canonical URL" in folded.get_attribute("textContent")


def test_list_columns_show_as_lists_and_dates_with_their_offset(archive, browser) -> None:
    browser.get(f"{archive['root']}/{archive['db']}/articles?_size=50")
    cells = browser.find_elements(By.CSS_SELECTOR, "td.col-authors, td.col-categories, td.col-tags")
    assert cells and not [c.text for c in cells if '["' in c.text or "[]" in c.text]
    items = [i.text for i in browser.find_elements(By.CSS_SELECTOR, "td.col-categories .ga-item")]
    assert "ข่าวกิจกรรม" in items
    published = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "td.col-published time")]
    assert "2023-08-30 14:05 +07:00" in published
    fetched = browser.find_elements(By.CSS_SELECTOR, "td.col-fetched_at time")
    assert fetched and all(t.text.endswith(" UTC") for t in fetched)
    title = browser.find_element(By.CSS_SELECTOR, "td.col-title")
    assert title.size["height"] < 5 * 30, "a Thai title wraps to more than four lines"


def test_an_article_page_is_titled_by_the_article_and_hides_empty_fields(archive, browser) -> None:
    browser.get(row_url(archive, archive["base_url"] + "news-017/"))
    screenshot(browser, "article-page-titled")
    assert browser.find_element(By.TAG_NAME, "h1").text == SEED_TITLE
    assert browser.title.startswith(SEED_TITLE)
    removed_at = browser.find_element(By.CSS_SELECTOR, "td.col-removed_at")  # null for a live article
    assert not removed_at.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "td.col-body").is_displayed()


def test_internal_tables_are_hidden_and_not_the_default_query(archive, browser) -> None:
    browser.get(f"{archive['root']}/{archive['db']}")
    screenshot(browser, "database-page")
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "h3 a")]
    assert "articles" in listed and "_sqlite_migrations" not in listed
    assert "_sqlite_migrations" not in browser.find_element(By.ID, "sql-editor").get_attribute("value")


def test_search_hits_link_to_the_archived_row_and_its_capture(archive, browser) -> None:
    browser.get(f"{archive['root']}/{archive['db']}/-/search?q=" + urllib.parse.quote("เลิศรัฐ"))
    screenshot(browser, "ranked-search")
    browser.find_element(By.LINK_TEXT, SEED_TITLE).click()
    assert browser.find_element(By.TAG_NAME, "h1").text == SEED_TITLE
    browser.back()
    page = browser.find_element(By.LINK_TEXT, "page as captured").get_attribute("href")
    record = browser.find_element(By.LINK_TEXT, "WARC record").get_attribute("href")
    with urllib.request.urlopen(page, timeout=10) as answer:
        assert "sandbox" in answer.headers["content-security-policy"]
        assert answer.headers["content-type"].startswith("text/html")
        assert SEED_TITLE in answer.read().decode("utf-8")
    with urllib.request.urlopen(record, timeout=10) as answer:
        records = list(ArchiveIterator(io.BytesIO(answer.read()), check_digests="raise"))
    assert [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in records] == [
        ("response", archive["base_url"] + "news-017/")
    ]


def test_a_csv_for_excel_starts_with_a_byte_order_mark(archive) -> None:
    with urllib.request.urlopen(f"{archive['root']}/{archive['db']}/articles.excel?_size=max", timeout=10) as answer:
        data = answer.read()
        assert "articles.csv" in answer.headers["content-disposition"]
    assert data.startswith(b"\xef\xbb\xbfurl,site,agency,title")
    assert SEED_TITLE in data.decode("utf-8-sig") and len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) > 20


REPLAYWEBPAGE = Path(os.environ.get("GOVARCHIVE_REPLAYWEBPAGE", "/opt/replaywebpage/package"))


@contextlib.contextmanager
def static_files(folder: Path) -> Iterator[str]:
    """A plain HTTP server for a folder on 127.0.0.1, as a user serves ReplayWeb.page."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with serving_on_loopback(functools.partial(Quiet, directory=str(folder))) as base_url:
        yield base_url


def test_replaywebpage_shows_an_exported_article_with_its_image(archive, browser, tmp_path: Path) -> None:
    """ReplayWeb.page (npm package replaywebpage; .ci/run unpacks it in /opt/replaywebpage),
    embedded in a page, replays an article of a WACZ export in Chromium: its text and its lead
    image, both from the WACZ."""
    if not (REPLAYWEBPAGE / "ui.js").exists():
        if os.environ.get("GOVARCHIVE_REQUIRE_REPLAYWEBPAGE") == "1":
            pytest.fail(f"ReplayWeb.page is required in {REPLAYWEBPAGE} (see .ci/run)")
        pytest.skip(f"no ReplayWeb.page in {REPLAYWEBPAGE} (see .ci/run)")
    folder = tmp_path / "replay"
    (folder / "replay").mkdir(parents=True)
    shutil.copy(REPLAYWEBPAGE / "ui.js", folder / "ui.js")
    shutil.copy(REPLAYWEBPAGE / "sw.js", folder / "replay" / "sw.js")
    run_cli("export", "--format", "wacz", "-o", str(folder / "archive.wacz"), "--db", str(archive["path"]))
    with sqlite3.connect(archive["path"]) as connection:
        url, body, image = connection.execute(
            "select a.url, a.body, l.attachment_url from articles a join article_attachments l "
            "on l.article_url = a.url and l.role = 'lead image' where a.title = ?",
            [SEED_TITLE],
        ).fetchone()
    page = (FILES / "replaywebpage.html").read_text("utf-8").replace("{url}", url)
    (folder / "index.html").write_text(page, "utf-8")
    probe = (FILES / "replayed.js").read_text("utf-8")
    phrase, picture = body.split("\n\n")[1][:40], image.rsplit("/", 1)[-1]
    with static_files(folder) as root:
        browser.get(f"{root}/index.html")
        seen = {"text": False, "image": False}
        deadline = time.monotonic() + 60
        while not all(seen.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
            seen = browser.execute_script(probe, phrase, picture)
        screenshot(browser, "replaywebpage")
    assert seen == {"text": True, "image": True}
