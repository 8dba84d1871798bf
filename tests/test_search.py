"""Search finds Thai words mid-sentence, ranks by relevance and highlights the match."""

import pytest
from sqlite_utils import Database

from archive.db import open_archive
from archive.query import parse
from archive.search import Filters, search, snippets
from archive.store import ArchiveWriter
from archive.words import boundaries

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


PAIR_PLACES = {  # where a two-character term can stand, each a place the index must reach
    "end-of-title": ("ครบรอบ 10 ปี", "ข่าว"),
    "whole-body": ("ข่าว", "ปี"),
    "before-an-uncommon-character": ("ข่าว", "ปี中国"),
    "after-an-uncommon-character": ("ข่าว", "中ปี"),
    "start-and-middle": ("ปีใหม่", "ส่งท้ายปีเก่า"),
}


def test_a_two_character_term_is_found_wherever_it_stands(tmp_path) -> None:
    db = open_archive(tmp_path / "a.db")
    writer = ArchiveWriter(db)
    for url, (title, body) in {**PAIR_PLACES, "elsewhere": ("ข่าว", "ปิด")}.items():
        writer.write_article({"url": url, "site": "t", "title": title, "body": body, "http_status": 200})
    assert sorted(urls(db, "ปี")) == sorted(PAIR_PLACES)


def test_the_index_follows_edits_and_deletions(tmp_path) -> None:
    db = open_archive(tmp_path / "a.db")
    writer = ArchiveWriter(db)
    for url in ("kept", "edited", "deleted"):
        writer.write_article({"url": url, "site": "t", "title": "ข่าว", "body": "ครบรอบ 10 ปี", "http_status": 200})
    db.execute("update articles set body = 'ปิดประชุม' where url = 'edited'")
    db.execute("delete from articles where url = 'deleted'")
    assert urls(db, "ปี") == ["kept"]
    assert urls(db, "ปิด") == ["edited"]
    db.execute("insert into articles_fts(articles_fts) values ('integrity-check')")  # raises if out of step


def test_snippet_highlights_the_match(db: Database) -> None:
    (hit,) = search(db, "ร้อยเอ็ด")
    assert "[ร้อยเอ็ด]" in hit.snippet


def test_fts5_syntax_that_is_not_ours_is_taken_literally(db: Database) -> None:
    assert urls(db, "NEAR(OTOP") == []
    assert urls(db, "title:OTOP") == []
    assert urls(db, "^OTOP") == ["b"]  # punctuation before a word is ignored


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
    results = search(db, "ประชาชน", limit=5)
    assert {hit.url for hit in results} <= {f"https://x.go.th/{n}" for n in range(10, 20)}
    assert results.hits[0].url == "https://x.go.th/15", "the newest matches are still ranked by occurrences"
    assert "[ประชาชน]" in results.hits[0].snippet
    assert results.total == 20, "every match is counted, ranked or not"


def test_newest_matches_snippets_mark_the_term_in_any_letter_case(tmp_path, monkeypatch) -> None:
    db = open_archive(tmp_path / "a.db")
    for n in range(3):
        body = f"Climate policy was discussed in Bangkok today, meeting number {n} of the committee."
        ArchiveWriter(db).write_article({"url": f"https://x.go.th/{n}", "site": "x", "title": "Report", "body": body})
    monkeypatch.setattr("archive.search.RANKED_MATCHES", 2)
    hits = search(db, "climate")
    assert hits and all("[Climate]" in hit.snippet for hit in hits)


# -- the query language against the archive ------------------------------------------------
def test_an_exact_phrase_matches_the_words_in_that_order(db: Database) -> None:
    assert urls(db, '"รางวัลเลิศรัฐ สาขาบริการ"') == ["d"]
    assert urls(db, '"สาขาบริการ รางวัลเลิศรัฐ"') == []


def test_or_finds_either_and_minus_leaves_out(db: Database) -> None:
    assert sorted(urls(db, "OTOP OR ร้อยเอ็ด")) == ["a", "b"]
    assert urls(db, "เลิศรัฐ -ร้อยเอ็ด") == ["d"]
    assert urls(db, "เลิศรัฐ NOT ร้อยเอ็ด") == ["d"]
    assert sorted(urls(db, "รางวัล -ปี")) == ["d", "e"]  # a short word left out, by scan


def test_punctuation_around_words_is_ignored(db: Database) -> None:
    assert urls(db, "(OTOP),") == urls(db, "OTOP") == ["b"]


def test_a_prefix_finds_words_beginning_with_it(db: Database) -> None:
    assert urls(db, "Commit*") == ["c"]


def test_filters_narrow_by_site_agency_day_and_language(tmp_path) -> None:
    db = open_archive(tmp_path / "a.db")
    writer = ArchiveWriter(db)
    for n, (site, agency, published, language) in enumerate(
        [
            ("cdd", "กรมการพัฒนาชุมชน", "2023-08-30T14:05:00+07:00", "th"),
            ("cdd", "กรมการพัฒนาชุมชน", "2022-01-01T09:00:00+07:00", "th"),
            ("moph", "กระทรวงสาธารณสุข", "2023-12-31T23:00:00+07:00", "th"),
            ("moph", "กระทรวงสาธารณสุข", "2023-05-05T10:00:00+07:00", "en"),
        ]
    ):
        record = {"url": str(n), "site": site, "agency": agency, "published": published, "language": language}
        writer.write_article({**record, "title": "ข่าวเลิศรัฐ", "body": "เลิศรัฐ", "http_status": 200})
    found = lambda **f: sorted(h.url for h in search(db, "เลิศรัฐ", filters=Filters(**f)))  # noqa: E731
    assert found(site="cdd") == ["0", "1"]
    assert found(agency="กระทรวงสาธารณสุข") == ["2", "3"]
    assert found(since="2023-01-01") == ["0", "2", "3"]
    assert found(since="2023-01-01", until="2023-08-30") == ["0", "3"]  # the until day is included
    assert found(since="0001-01-01", until="9999-12-31") == ["0", "1", "2", "3"]  # the calendar's ends
    assert found(language="en") == ["3"]
    assert search(db, "เลิศรัฐ", limit=1).total == 4


def test_a_whole_word_match_ranks_above_a_match_inside_another_word(tmp_path) -> None:
    db = open_archive(tmp_path / "a.db")
    writer = ArchiveWriter(db)
    inside = "ด้วยความเพียรพยายาม " * 3  # ยา inside พยายาม (effort), three times
    whole = "แพทย์จ่ายยา ให้ผู้ป่วย"  # ยา (medicine), once
    for url, body in (("effort", inside), ("medicine", whole)):
        writer.write_article({"url": url, "site": "t", "title": "ข่าว", "body": body, "http_status": 200})
    results = search(db, "ยา")
    assert [hit.url for hit in results] == ["medicine", "effort"]
    assert [hit.whole_word for hit in results] == [True, False]


def test_snippets_start_and_end_on_word_boundaries_and_mark_every_match() -> None:
    body = "ก่อนหน้านี้มีการประชุม " * 10 + "กรมการพัฒนาชุมชนได้รับรางวัลเลิศรัฐประจำปีสองพันห้าร้อยหกสิบหก" + " หลังจากนั้นจึงมีการประชุม" * 10
    (passage,) = snippets(body, parse("เลิศรัฐ").terms)
    shown = passage.strip("…").replace("[", "").replace("]", "")
    assert passage.count("[เลิศรัฐ]") == 1 and passage.startswith("…") and passage.endswith("…")
    start = body.index(shown)
    assert {start, start + len(shown)} <= boundaries(body)  # cut between words, not inside one


def test_several_snippets_show_separate_places() -> None:
    body = "เลิศรัฐ " + "ข้อความ " * 60 + "เลิศรัฐ " + "ข้อความ " * 60 + "เลิศรัฐ"
    assert len(snippets(body, parse("เลิศรัฐ").terms)) == 3
