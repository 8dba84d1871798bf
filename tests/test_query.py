"""The query language, parsed: what each form means, and a reason for what cannot be answered."""

from __future__ import annotations

import pytest

from archive.query import Query, QueryError, Term, parse


def texts(query: Query) -> tuple[list[list[str]], list[str]]:
    return [[t.text for t in group] for group in query.groups], [t.text for t in query.excluded]


def test_words_are_all_required() -> None:
    assert texts(parse("รางวัล เลิศรัฐ")) == ([["รางวัล"], ["เลิศรัฐ"]], [])


def test_a_quoted_phrase_is_one_term_with_its_spaces() -> None:
    assert texts(parse('"village  fund" OTOP')) == ([["village fund"], ["OTOP"]], [])


def test_or_joins_the_words_on_either_side() -> None:
    assert texts(parse("ยาเสพติด OR ยาบ้า ตำรวจ")) == ([["ยาเสพติด", "ยาบ้า"], ["ตำรวจ"]], [])


def test_minus_and_not_leave_words_out() -> None:
    assert texts(parse("OTOP -ประกวด NOT ตลาด")) == ([["OTOP"]], ["ประกวด", "ตลาด"])
    assert texts(parse('OTOP -"สินค้า OTOP"')) == ([["OTOP"]], ["สินค้า OTOP"])


def test_a_trailing_star_asks_for_words_beginning_so() -> None:
    assert parse("minist*").groups == [[Term("minist", prefix=True)]]


def test_punctuation_around_a_word_is_ignored_inside_it_kept() -> None:
    assert texts(parse("(OTOP), “พอช.” 4.0 COVID-19")) == ([["OTOP"], ["พอช"], ["4.0"], ["COVID-19"]], [])


def test_thai_and_arabic_digits_are_one() -> None:
    assert set(parse("๒๕๖๖").terms[0].variants) == {"๒๕๖๖", "2566"}


def test_invisible_characters_are_removed_as_in_the_archive() -> None:
    assert texts(parse("ประ\u200bชาชน")) == ([["ประชาชน"]], [])


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"รางวัลเลิศรัฐ', "quote is not closed"),
        ('""', "empty phrase"),
        ("OR OTOP", "OR needs a word on each side"),
        ("OTOP OR", "OR needs a word on each side"),
        ("OTOP OR -x", "OR cannot join"),
        ("OTOP NOT", "NOT needs a word"),
        ("-OTOP", "only leave articles out"),
        ("", "nothing to find"),
        ("... ,,, !!", "nothing to find"),
    ],
)
def test_a_query_that_cannot_be_answered_says_why(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        parse(query)
