"""`govarchive serve` starts a real datasette whose search finds Thai words in the archive."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import GOVARCHIVE, run_cli

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def start_datasette(
    db: Path, command: Sequence[str] = (str(GOVARCHIVE),), env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[str]:
    """`govarchive serve` (the `command` given: another user, an installed copy) on a free port;
    yields the root URL once datasette answers."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", "--db", str(db), "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                get_json(f"{root}/-/versions.json")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    pytest.fail(f"datasette did not start: {process.communicate()[1].decode()[-2000:]}")
                time.sleep(0.2)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def datasette(mirror_archive: Path) -> Iterator[tuple[str, Path]]:
    with start_datasette(mirror_archive) as root:
        yield root, mirror_archive


def search(root: str, query: str) -> list[dict]:
    """Through the articles table's search box, as datasette's JSON API is used."""
    url = f"{root}/archive/articles.json?_search={urllib.parse.quote(query)}"
    return get_json(url)["hits"]


def test_datasette_search_box_finds_a_thai_word_mid_sentence(datasette) -> None:
    hits = search(datasette[0], "เลิศรัฐ")
    assert [h["url"].rsplit("/", 2)[-2] for h in hits] == ["news-017"]


def test_datasette_serves_the_database_under_the_file_stem(datasette) -> None:
    tables = {t["name"] for t in get_json(f"{datasette[0]}/archive.json")["tables"]}
    assert {"articles", "failures", "articles_fts"} <= tables


@pytest.mark.parametrize("query", ["กรมการพัฒนาชุมชน", "OTOP", "climate", "ประชาชน"])
def test_datasette_and_the_cli_find_the_same_articles(datasette, query: str) -> None:
    root, db = datasette
    cli_hits = json.loads(run_cli("search", query, "--json", "--limit", "1000", "--db", str(db)).stdout)["hits"]
    served = {h["url"] for h in search(root, query)}
    assert served and served == {h["url"] for h in cli_hits}


def test_datasette_serves_while_a_crawl_writes(tmp_path: Path) -> None:
    from archive.db import open_archive
    from mirror.server import serving
    from mirror.site import MirrorSite
    from tests.test_scheduled import start_crawl

    site = MirrorSite("cdd-mirror")
    site.delay = 1.0  # articles arrive in waves a second apart (16 at a time): several commits
    db = tmp_path / "live.db"
    open_archive(db).close()
    counts = []
    with serving(site) as base_url, start_datasette(db) as root:
        crawl = start_crawl(base_url, db)
        while crawl.poll() is None:
            counts.append(get_json(f"{root}/live/articles.json?_size=0")["filtered_table_rows_count"])
            time.sleep(0.1)
        counts.append(get_json(f"{root}/live/articles.json?_size=0")["filtered_table_rows_count"])
    assert crawl.returncode == 0
    assert counts == sorted(counts) and counts[-1] == 23
    assert any(0 < n < 23 for n in counts), f"datasette never saw the crawl half-way: {counts}"
