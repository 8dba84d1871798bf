"""Dates as Thai agency pages write them, turned into ISO 8601 in the Common Era.

General-purpose parsers get Thai dates wrong (dateparser stores 2566 as the year, dateutil
does not know Thai month names), so Thai text goes through our own small grammar:
Thai digits first, then day, month name or abbreviation or number, Buddhist-Era or CE year
(2 or 4 digits), an optional time "10:30 น.". Anything else goes to dateutil. A date
that cannot be read is None: never a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from archive.text import BE_OFFSET, THAI_TO_ARABIC_DIGITS, common_era_year

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTH_ABBR = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS: dict[str, int] = {}
for number, (full, abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTH_ABBR, strict=True), start=1):
    MONTHS[full] = number
    MONTHS[abbr] = number
    MONTHS[abbr.rstrip(".")] = number  # "ส.ค 66": the last dot left out
    MONTHS[abbr.replace(".", "")] = number  # "สค 66": no dots at all

_MONTH_ALTERNATIVES = "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:\s*(?:เวลา|,)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?\s*(?:น\.?|นาฬิกา)?)?"
_ERA = r"(?:(?P<era>พ\.?\s?ศ\.?|ค\.?\s?ศ\.?)\s*)?"
THAI_NAMED_DATE = re.compile(
    rf"(?P<day>\d{{1,2}})\s*(?P<month>{_MONTH_ALTERNATIVES})\s*{_ERA}(?P<year>\d{{4}}|\d{{2}})(?!\d){_TIME}"
)
NUMERIC_DATE = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})/{_ERA}(?P<year>\d{{4}}|\d{{2}})(?!\d){_TIME}"
)
BANGKOK = ZoneInfo("Asia/Bangkok")


def to_ce_year(year_text: str, era: str | None = None) -> int | None:
    """Read a year as Thai pages write it; None when it cannot be a plausible year."""
    year = int(year_text)
    era_is_ce = era is not None and era.replace(" ", "").replace(".", "").startswith("ค")
    if len(year_text) == 2:
        return 2000 + year if era_is_ce else 2500 + year - BE_OFFSET
    if era_is_ce:
        return year
    if year >= 2400:
        return year - BE_OFFSET
    if 1900 <= year <= 2100:
        return year
    return None


def parse_thai_date(text: str, tz: tzinfo = BANGKOK) -> datetime | None:
    """The first Thai-written date in `text`, as an aware datetime in CE, or None."""
    text = text.translate(THAI_TO_ARABIC_DIGITS)
    for pattern in (THAI_NAMED_DATE, NUMERIC_DATE):
        match = pattern.search(text)
        if match:
            return _from_match(match, tz)
    return None


def _from_match(match: re.Match[str], tz: tzinfo) -> datetime | None:
    month_text = match["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text]
    year = to_ce_year(match["year"], match["era"])
    if year is None:
        return None
    hour, minute, second = (int(match[g]) if match[g] else 0 for g in ("hour", "minute", "second"))
    try:
        return datetime(year, month, int(match["day"]), hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def parse_date(text: str | None, tz: tzinfo = BANGKOK) -> datetime | None:
    """Any date a page gives (ISO from meta tags, Thai, or English), as an aware datetime.

    A date without an offset is taken to be in the site's time zone `tz`, and so is one whose
    offset no time zone has (a day or more: "+99:00"), which Python refuses to use at all.
    """
    if not text or not text.strip():
        return None
    thai = parse_thai_date(text, tz)
    if thai is not None:
        return thai
    try:
        parsed = dateutil_parser.parse(text.strip(), fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None or not _usable_offset(parsed):
        parsed = parsed.replace(tzinfo=tz)
    if common_era_year(parsed.year) != parsed.year:  # a BE year that reached dateutil in ISO form
        try:
            parsed = parsed.replace(year=common_era_year(parsed.year))
        except ValueError:  # 29 February of a BE year whose CE year is no leap year: no such day
            return None
    return parsed


def _usable_offset(value: datetime) -> bool:
    try:
        value.utcoffset()
    except ValueError:  # "offset must be a timedelta strictly between -timedelta(hours=24) and ..."
        return False
    return True


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
