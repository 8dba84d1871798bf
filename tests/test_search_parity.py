"""One search behind every door: the CLI, the datasette search page and the articles table's
search box give the same total and the same articles in the same order for every query of a
shared table (tests/files/search-queries.txt), and the same refusal for a query that cannot
be answered."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FILES, run_cli
from tests.test_serve import get_json, start_datasette

LIMIT = 50  # the search page's default, so the table box (which passes no limit) is comparable
QUERIES = [
    tuple(line.split("\t"))
    for line in (FILES / "search-queries.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture(scope="module")
def served(mirror_archive: Path) -> Iterator[str]:
    with start_datasette(mirror_archive) as root:
        yield f"{root}/{mirror_archive.stem}"


def by_cli(db: Path, query: str) -> tuple[int, list[str]] | str:
    result = run_cli("search", "--json", "--limit", str(LIMIT), "--db", str(db), "--", query, check=False)
    if result.returncode == 2:
        return "refused: " + result.stderr.strip().splitlines()[-1].split(". Query syntax")[0].removeprefix("Error: ")
    answer = json.loads(result.stdout)
    return answer["total"], [hit["url"] for hit in answer["hits"]]


def by_url(url: str) -> tuple[int, list[str]] | str:
    try:
        answer = get_json(url)
    except urllib.error.HTTPError as error:
        return "refused: " + json.loads(error.read())["error"]
    return answer["total"], [hit["url"] for hit in answer["hits"]]


def test_the_query_table_covers_every_class_with_fifty_queries() -> None:
    classes = {kind for _, kind in QUERIES}
    assert len(QUERIES) >= 50
    assert {"thai", "english", "mixed", "short", "phrase", "operator", "prefix", "punctuation", "digits"} <= classes


def test_every_door_gives_the_same_answers(mirror_archive: Path, served: str) -> None:
    differ, answered = [], 0
    for query, kind in QUERIES:
        quoted = urllib.parse.quote(query)
        cli = by_cli(mirror_archive, query)
        page = by_url(f"{served}/-/search.json?q={quoted}")
        table_box = by_url(f"{served}/articles.json?_search={quoted}")  # sent to the search page
        if not cli == page == table_box:
            differ.append((query, cli, page, table_box))
        if kind == "error":
            assert isinstance(cli, str) and cli.startswith("refused: "), (query, cli)
        elif isinstance(cli, tuple) and cli[0] > 0:
            answered += 1
    assert differ == []
    assert answered >= 45, "the table is to compare answers, not empty results"


def test_the_table_search_box_opens_the_search_page(served: str) -> None:
    request = urllib.request.Request(f"{served}/articles?_search=" + urllib.parse.quote("เลิศรัฐ"))
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(request, timeout=10)
    assert redirected.value.code == 302
    assert redirected.value.headers["location"].endswith("/-/search?q=" + urllib.parse.quote_plus("เลิศรัฐ"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
