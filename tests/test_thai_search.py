"""Thai search on 295 real Thai government articles, through the CLI and datasette's JSON API.

Two truths, two claims:
- independent truth, a quality claim: the articles that hold the query as whole words when
  PyThaiNLP's newmm segmenter splits them. Search must find at least 95% of them (recall).
  Precision against it is issue 18's (word-aware ranking): 0.80 today, substring hits
  inside compounds (กระทรวง in กระทรวงศึกษาธิการ) counting against it.
- the index's own promise, an implementation claim: the trigram index matches exactly the
  articles whose normalised text contains the query (agreement, not quality).
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from pythainlp.tokenize import word_tokenize

from archive.db import open_archive
from archive.search import search
from archive.store import ArchiveWriter
from archive.text import normalize_text
from mirror.corpus import read_text
from tests.conftest import FILES, run_cli
from tests.test_serve import get_json, start_datasette

RECALL_TARGET = 0.95
WHOLE_WORD_TARGET = 0.9
SHORT_WORDS = [
    line.strip()
    for line in (FILES / "thai-short-words.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
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


@pytest.fixture(scope="module")
def found_by_cli(thai_archive) -> dict[str, set[str]]:
    db, _ = thai_archive
    found = {}
    for query in QUERIES:
        hits = json.loads(run_cli("search", query, "--json", "--limit", "1000", "--db", str(db)).stdout)["hits"]
        found[query] = {h["url"] for h in hits}
    return found


@pytest.fixture(scope="module")
def found_by_datasette(thai_archive) -> dict[str, set[str]]:
    db, _ = thai_archive
    found = {}
    with start_datasette(db) as root:
        for query in QUERIES:
            url = f"{root}/{db.stem}/-/search.json?q={urllib.parse.quote(query)}&limit=1000"
            found[query] = {hit["url"] for hit in get_json(url)["hits"]}
    return found


@pytest.fixture(scope="module")
def words_of(thai_archive) -> dict[str, list[str]]:
    """Each article as PyThaiNLP's newmm segmenter splits it into words."""
    _, texts = thai_archive
    return {url: words(text) for url, text in texts.items()}


def words(text: str) -> list[str]:
    return [w.lower() for w in word_tokenize(normalize_text(text), engine="newmm", keep_whitespace=False)]


def holding_as_words(words_of: dict[str, list[str]], query: str) -> set[str]:
    """The independent truth: articles in which the query's words stand as a run of whole words."""
    wanted = words(query)
    return {
        url
        for url, seen in words_of.items()
        if any(seen[i : i + len(wanted)] == wanted for i in range(len(seen) - len(wanted) + 1))
    }


@pytest.mark.parametrize("door", ["found_by_cli", "found_by_datasette"])
def test_search_finds_the_articles_holding_the_query_as_whole_words(door: str, words_of, request) -> None:
    found = request.getfixturevalue(door)
    relevant = {query: holding_as_words(words_of, query) for query in QUERIES}
    assert sum(map(len, relevant.values())) > 500  # the truth is not empty
    recall = sum(len(found[q] & relevant[q]) for q in QUERIES) / sum(map(len, relevant.values()))
    assert recall >= RECALL_TARGET, recall


@pytest.mark.parametrize("door", ["found_by_cli", "found_by_datasette"])
def test_search_matches_exactly_the_articles_containing_the_query(door: str, thai_archive, request) -> None:
    """The trigram index's promise (substring containment), kept by both doors."""
    recall, precision, weak = score(request.getfixturevalue(door), thai_archive[1])
    assert recall >= RECALL_TARGET and not weak, (recall, weak)
    assert precision >= PRECISION_TARGET, precision


def test_query_typed_with_a_zero_width_space_still_matches(thai_archive) -> None:
    db, texts = thai_archive
    hits = json.loads(run_cli("search", "ประ\u200bชาชน", "--json", "--limit", "1000", "--db", str(db)).stdout)["hits"]
    assert {h["url"] for h in hits} == truth(texts, "ประชาชน")


def test_short_thai_words_rank_whole_word_matches_first_and_every_match_stays_reachable(thai_archive, words_of) -> None:
    """Issue 18's measure: for one- and two-syllable words, at least 0.9 of the top 10 hold the
    query as a whole word by an independent segmenter (PyThaiNLP newmm; ranking uses ICU), and
    the total counts every article that contains the query."""
    db_path, texts = thai_archive
    db = open_archive(db_path)
    shares = {}
    for word in SHORT_WORDS:
        results = search(db, word, limit=10)
        whole = holding_as_words(words_of, word)
        assert results.total == len(truth(texts, word)), word  # recall of substring matches: 1.0
        top = [hit.url for hit in results]
        shares[word] = sum(url in whole for url in top) / len(top) if len(whole) >= len(top) else 1.0
    mean = sum(shares.values()) / len(shares)
    assert mean >= WHOLE_WORD_TARGET, shares
