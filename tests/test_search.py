"""Search finds Thai words mid-sentence, ranks by relevance and highlights the match."""

import pytest
from sqlite_utils import Database

from archive.db import open_archive
from archive.search import search
from archive.store import ArchiveWriter

ARTICLES = [
    ("a", "พช.คว้า 3 รางวัลเลิศรัฐ", "นายอรรษิษฐ์ มอบรางวัลเลิศรัฐ ประจำปี 2566 ให้สำนักงานพัฒนาชุมชนจังหวัดร้อยเอ็ด"),
    ("b", "ส่งเสริมสินค้าOTOP", "กรมการพัฒนาชุมชนจัดงานแสดงสินค้าOTOP ประจำปี ที่เมืองทองธานี"),
    ("c", "Village fund meeting", "The Community Development Department met village fund committees in Khon Kaen."),
    ("e", "ประกาศผลรางวัล", "ประกาศเมื่อวันที่ ๒๙ สิงหาคม ๒๕๖๖ ณ ทำเนียบรัฐบาล"),
    ("d", "เลิศรัฐ เลิศรัฐ เลิศรัฐ", "รางวัลเลิศรัฐ สาขาบริการภาครัฐ รางวัลเลิศรัฐ สาขาคุณภาพ และรางวัลเลิศรัฐ สาขาการมีส่วนร่วม"),
]


@pytest.fixture
def db(memory_db: Database) -> Database:
    writer = ArchiveWriter(memory_db)
    for key, title, body in ARTICLES:
        writer.write_article({"url": key, "site": "t", "title": title, "body": body, "http_status": 200})
    return memory_db


def urls(db: Database, query: str) -> list[str]:
    return [hit.url for hit in search(db, query)]


def test_thai_word_found_in_the_middle_of_a_run(db: Database) -> None:
    assert sorted(urls(db, "เลิศรัฐ")) == ["a", "d"]


def test_more_relevant_article_ranks_first(db: Database) -> None:
    assert urls(db, "เลิศรัฐ")[0] == "d"


def test_latin_inside_thai_and_english_case_insensitive(db: Database) -> None:
    assert urls(db, "otop") == ["b"]
    assert urls(db, "VILLAGE FUND") == ["c"]


def test_all_terms_are_required(db: Database) -> None:
    assert urls(db, "เลิศรัฐ ร้อยเอ็ด") == ["a"]


def test_short_terms_are_matched_not_dropped(db: Database) -> None:
    assert sorted(urls(db, "ปี")) == ["a", "b"]
    assert urls(db, "เลิศรัฐ 66") == ["a"]


def test_snippet_highlights_the_match(db: Database) -> None:
    (hit,) = search(db, "ร้อยเอ็ด")
    assert "[ร้อยเอ็ด]" in hit.snippet


def test_fts_syntax_in_queries_is_taken_literally(db: Database) -> None:
    assert urls(db, 'OTOP" OR "x') == []
    assert urls(db, "NEAR(") == []


def test_thai_and_arabic_digits_find_each_other(db: Database) -> None:
    assert sorted(urls(db, "2566")) == ["a", "e"]
    assert sorted(urls(db, "๒๕๖๖")) == ["a", "e"]
    assert urls(db, "29 สิงหาคม") == ["e"]
    assert urls(db, "๒๙ สิงหาคม") == ["e"]


def test_a_word_in_very_many_articles_is_ranked_among_its_newest_matches(tmp_path, monkeypatch) -> None:
    """bm25 over every match is too slow for common words in a big archive (docs/performance.md)."""
    db = open_archive(tmp_path / "a.db")
    writer = ArchiveWriter(db)
    for n in range(20):
        mentions = 8 if n < 5 else 3 if n == 15 else 1  # the oldest five are the most relevant
        body = " ".join(["ประชาชนได้รับประโยชน์"] * mentions) + f" ข่าวลำดับที่ {n} ของหน่วยงาน"
        writer.write_article({"url": f"https://x.go.th/{n}", "site": "x", "title": f"ข่าว {n}", "body": body})
    assert {hit.url for hit in search(db, "ประชาชน", limit=5)} == {f"https://x.go.th/{n}" for n in range(5)}
    monkeypatch.setattr("archive.search.RANKED_MATCHES", 10)
    hits = search(db, "ประชาชน", limit=5)
    assert {hit.url for hit in hits} <= {f"https://x.go.th/{n}" for n in range(10, 20)}
    assert hits[0].url == "https://x.go.th/15", "the newest matches are still ranked by occurrences"
    assert "[ประชาชน]" in hits[0].snippet


def test_newest_matches_snippets_mark_the_term_in_any_letter_case(tmp_path, monkeypatch) -> None:
    db = open_archive(tmp_path / "a.db")
    for n in range(3):
        body = f"Climate policy was discussed in Bangkok today, meeting number {n} of the committee."
        ArchiveWriter(db).write_article({"url": f"https://x.go.th/{n}", "site": "x", "title": "Report", "body": body})
    monkeypatch.setattr("archive.search.RANKED_MATCHES", 2)
    hits = search(db, "climate")
    assert hits and all("[Climate]" in hit.snippet for hit in hits)
