"""The archivist's view, used as a person would: real datasette, real headless Chromium.

Screenshots of each page land in test-artifacts/. Needs Debian's chromium and
chromium-driver (installed by .ci/run); without them these tests skip, unless
GOVARCHIVE_REQUIRE_BROWSER=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mirror.server import serving
from mirror.site import SITES, MirrorSite
from tests.conftest import FILES, run_cli, site_articles
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
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("_search="))
    screenshot(browser, "search-thai")
    assert SEED_TITLE in browser.find_element(By.TAG_NAME, "body").text
    marks = [m.get_attribute("textContent") for m in browser.find_elements(By.CSS_SELECTOR, ".ga-snippet mark")]
    assert marks and all(m == "เลิศรัฐ" for m in marks)


def test_the_json_api_answers_the_same_search(archive) -> None:
    rows = get_json(
        f"{archive['root']}/{archive['db']}/articles.json?_search=%E0%B9%80%E0%B8%A5%E0%B8%B4%E0%B8%A8%E0%B8%A3%E0%B8%B1%E0%B8%90&_shape=objects"
    )["rows"]
    assert [r["title"] for r in rows] == [SEED_TITLE]


def test_an_article_page_reads_as_paragraphs_with_its_sources(archive, browser) -> None:
    seed = archive["base_url"] + "news-017/"
    browser.get(row_url(archive, seed))
    screenshot(browser, "article-page")
    text = browser.find_element(By.TAG_NAME, "body").text
    assert SEED_TITLE in text and "2023-08-30T14:05:00+07:00" in text
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
    hits = canned(archive, "search", q="เลิศรัฐ")
    assert [h["url"] for h in hits] == [archive["base_url"] + "news-017/"]
    assert "\x02เลิศรัฐ\x03" in hits[0]["snippet"]


def test_the_served_archive_is_read_only(archive) -> None:
    from urllib.error import HTTPError

    sql = urllib.parse.quote("delete from articles")
    with pytest.raises(HTTPError):
        get_json(f"{archive['root']}/{archive['db']}.json?sql={sql}")
    assert len(canned(archive, "removed")) == 1
