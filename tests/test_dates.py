"""Thai dates as agency pages write them become CE dates in Asia/Bangkok; nothing is guessed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.dates import parse_date, parse_thai_date, to_ce_year

BKK = ZoneInfo("Asia/Bangkok")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29 สิงหาคม 2566", datetime(2023, 8, 29, tzinfo=BKK)),
        ("29 ส.ค. 66", datetime(2023, 8, 29, tzinfo=BKK)),
        ("29 ส.ค. 2566", datetime(2023, 8, 29, tzinfo=BKK)),
        ("วันที่ 29 สิงหาคม พ.ศ. 2566", datetime(2023, 8, 29, tzinfo=BKK)),
        ("วันอังคารที่ 29 สิงหาคม 2566", datetime(2023, 8, 29, tzinfo=BKK)),
        ("๒๙ สิงหาคม ๒๕๖๖", datetime(2023, 8, 29, tzinfo=BKK)),
        ("29/08/2566", datetime(2023, 8, 29, tzinfo=BKK)),
        ("29/08/2566 10:30 น.", datetime(2023, 8, 29, 10, 30, tzinfo=BKK)),
        ("29 สิงหาคม 2566 เวลา 10:30 น.", datetime(2023, 8, 29, 10, 30, tzinfo=BKK)),
        ("29 สิงหาคม 2566 10.30 น.", datetime(2023, 8, 29, 10, 30, tzinfo=BKK)),
        ("29 สิงหาคม ค.ศ. 2023", datetime(2023, 8, 29, tzinfo=BKK)),
        ("29 สิงหาคม 2023", datetime(2023, 8, 29, tzinfo=BKK)),
        ("1 ม.ค. 67", datetime(2024, 1, 1, tzinfo=BKK)),
        ("31 ธันวาคม 2566", datetime(2023, 12, 31, tzinfo=BKK)),
        ("15 มีนาคม 2562", datetime(2019, 3, 15, tzinfo=BKK)),
        ("๕ ก.ย. ๖๒", datetime(2019, 9, 5, tzinfo=BKK)),
        ("5 ก.ย 62", datetime(2019, 9, 5, tzinfo=BKK)),
        ("5 กย 62", datetime(2019, 9, 5, tzinfo=BKK)),
        ("ประกาศเมื่อ 3 พฤษภาคม 2561 โดยกลุ่มประชาสัมพันธ์", datetime(2018, 5, 3, tzinfo=BKK)),
    ],
)
def test_thai_dates_become_common_era_in_bangkok(text: str, expected: datetime) -> None:
    assert parse_thai_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["29 สิงหาคม", "31 กุมภาพันธ์ 2566", "เมื่อวันที่ 29 สิงหาคมที่ผ่านมา", "ประจำปี 2566", "", "99/99/2566"],
)
def test_incomplete_or_impossible_thai_dates_are_not_guessed(text: str) -> None:
    assert parse_thai_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-08-30T14:05:00+07:00", "2023-08-30T14:05:00+07:00"),
        ("2023-08-30T07:05:00Z", "2023-08-30T07:05:00+00:00"),
        ("2023-08-30 14:05:00", "2023-08-30T14:05:00+07:00"),
        ("2566-08-30T14:05:00+07:00", "2023-08-30T14:05:00+07:00"),
        ("February 6, 2024", "2024-02-06T00:00:00+07:00"),
        ("30 สิงหาคม 2566", "2023-08-30T00:00:00+07:00"),
        ("2023-08-30T14:05:00+99:00", "2023-08-30T14:05:00+07:00"),  # no zone is a day or more off UTC
        ("2023-08-30T14:05:00-24:00", "2023-08-30T14:05:00+07:00"),
    ],
)
def test_machine_and_english_dates_keep_or_get_an_offset(text: str, expected: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed.isoformat() == expected


def test_a_buddhist_era_29_february_of_a_common_year_is_no_date() -> None:
    assert parse_date("2512-02-29T00:00:00") is None  # 1969 had no 29 February (found by hypothesis)


def test_unreadable_date_is_none() -> None:
    assert parse_date("sometime last week") is None
    assert parse_date(None) is None


@pytest.mark.parametrize(
    ("year", "era", "expected"),
    [
        ("2566", None, 2023),
        ("66", None, 2023),
        ("2023", None, 2023),
        ("2023", "ค.ศ.", 2023),
        ("23", "ค.ศ.", 2023),
        ("1200", None, None),
    ],
)
def test_years_are_read_as_thai_pages_mean_them(year: str, era: str | None, expected: int | None) -> None:
    assert to_ce_year(year, era) == expected
