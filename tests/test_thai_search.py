"""Thai search on 295 real Thai government articles: the query set's recall and precision,
through the CLI and through datasette's JSON API (acceptance: recall >= 95%, precision >= 98%).

Ground truth for a query: the articles whose normalised title and body contain it.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from archive.db import open_archive
from archive.store import ArchiveWriter
from archive.text import normalize_text
from mirror.corpus import read_text
from tests.conftest import FILES, run_cli
from tests.test_serve import get_json, start_datasette

RECALL_TARGET = 0.95
PRECISION_TARGET = 0.98
QUERIES = [
    line.strip()
    for line in (FILES / "thai-queries.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture(scope="module")
def thai_archive(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The corpus written straight into an archive; returns its path and url -> text."""
    db_path = tmp_path_factory.mktemp("thai") / "thai.db"
    writer = ArchiveWriter(open_archive(db_path))
    texts = {}
    for path in sorted((FILES / "thaigov-text" / "text").glob("*.txt")):
        text = read_text(path)
        if text is None:
            continue
        url = f"https://www.thaigov.go.th/{text.key}"
        body = normalize_text("\n\n".join(text.paragraphs))
        writer.write_article({"url": url, "site": "thaigov", "title": text.title, "body": body, "http_status": 200})
        texts[url] = normalize_text(text.title) + "\n" + body
    writer.db.close()
    return db_path, texts


def truth(texts: dict[str, str], query: str) -> set[str]:
    terms = normalize_text(query).split()
    return {url for url, text in texts.items() if all(term in text.lower() for term in map(str.lower, terms))}


def score(found_by_query: dict[str, set[str]], texts: dict[str, str]) -> tuple[float, float, list[str]]:
    """Micro-averaged recall and precision over the query set, and queries below target."""
    relevant = retrieved = correct = 0
    weak = []
    for query, found in found_by_query.items():
        expected = truth(texts, query)
        relevant += len(expected)
        retrieved += len(found)
        correct += len(found & expected)
        if expected and len(found & expected) / len(expected) < RECALL_TARGET:
            weak.append(query)
    return correct / relevant, correct / retrieved, weak


def test_query_set_is_big_enough_and_every_query_has_answers(thai_archive) -> None:
    _, texts = thai_archive
    assert len(QUERIES) >= 30
    assert all(truth(texts, q) for q in QUERIES)


def test_cli_search_recall_and_precision(thai_archive) -> None:
    db, texts = thai_archive
    found = {}
    for query in QUERIES:
        hits = json.loads(run_cli("search", query, "--json", "--limit", "1000", "--db", str(db)).stdout)
        found[query] = {h["url"] for h in hits}
    recall, precision, weak = score(found, texts)
    assert recall >= RECALL_TARGET and not weak, (recall, weak)
    assert precision >= PRECISION_TARGET, precision


def test_datasette_json_search_recall_and_precision(thai_archive) -> None:
    db, texts = thai_archive
    with start_datasette(db) as root:
        found = {}
        for query in QUERIES:
            url = (
                f"{root}/{db.stem}/articles.json?_search={urllib.parse.quote(query)}&_shape=objects&_size=max&_col=url"
            )
            found[query] = {row["url"] for row in get_json(url)["rows"]}
    recall, precision, weak = score(found, texts)
    assert recall >= RECALL_TARGET and not weak, (recall, weak)
    assert precision >= PRECISION_TARGET, precision


def test_query_typed_with_a_zero_width_space_still_matches(thai_archive) -> None:
    db, texts = thai_archive
    hits = json.loads(run_cli("search", "ประ\u200bชาชน", "--json", "--limit", "1000", "--db", str(db)).stdout)
    assert {h["url"] for h in hits} == truth(texts, "ประชาชน")
