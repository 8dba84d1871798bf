"""Property-based tests (hypothesis): whatever a hostile page or a user types, the parsers raise
nothing but their documented errors. Examples are bounded so the suite stays quick in CI."""

from __future__ import annotations

import codecs
import html
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from archive.migrations import migrations
from archive.query import QueryError
from archive.search import search
from archive.store import ArchiveWriter
from crawler.dates import parse_date
from crawler.encoding import choose_encoding, decode_html
from crawler.extract import ExtractionError, ExtractionRules, extract
from crawler.workers import extract_page

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
THAI_MONTHS = [
    "มกราคม",
    "ก.พ.",
    "มี.ค.",
    "เมษายน",
    "พ.ค.",
    "มิ.ย.",
    "กรกฎาคม",
    "ส.ค.",
    "กันยายน",
    "ต.ค.",
    "พฤศจิกายน",
    "ธ.ค.",
]
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
TAGS = ["p", "div", "article", "h1", "title", "meta", "script", "body", "html", "time", "a", "ul", "li", "table"]

thai_dates = st.builds(
    lambda day, month, year, thai_digits, suffix: (
        f"{day} {month} {year}{suffix}".translate(THAI_DIGITS) if thai_digits else f"{day} {month} {year}{suffix}"
    ),
    st.integers(-5, 40),
    st.sampled_from(THAI_MONTHS),
    st.integers(0, 9999),
    st.booleans(),
    st.sampled_from(["", " เวลา 10:17 น.", " 25:99 น.", " เวลา", " พ.ศ."]),
)
machine_dates = st.builds(  # as meta tags, JSON-LD and sitemap lastmods write them, any field out of range
    lambda y, mo, d, h, mi, sign, oh, om: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00{sign}{oh:02d}:{om:02d}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
)
html_fragments = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(
            [
                '<meta property="article:published_time" content="',
                '<script type="application/ld+json">{',
                '">',
                "&#xffff;",
                "&bogus;",
                "<!--",
                "<![CDATA[",
            ]
        ),
    ),
    max_size=40,
).map("".join)


@EXAMPLES
@given(st.one_of(st.text(), thai_dates, machine_dates, st.none()))
def test_any_date_text_parses_to_an_aware_datetime_or_none(text: str | None) -> None:
    parsed = parse_date(text)
    assert parsed is None or (isinstance(parsed, datetime) and parsed.utcoffset() is not None)
    assert parsed is None or parsed.isoformat()  # what the archive stores


@EXAMPLES
@given(
    st.binary(max_size=2000),
    st.one_of(
        st.none(),
        st.text(max_size=60),
        st.sampled_from(["text/html; charset=utf-8", "text/html; charset=tis-620", "text/html; charset=x-unknown"]),
    ),
)
def test_any_bytes_get_an_encoding_python_can_decode_with(body: bytes, content_type: str | None) -> None:
    encoding = choose_encoding(body, content_type)
    codecs.lookup(encoding)
    assert isinstance(decode_html(body, content_type), str)


@EXAMPLES
@given(html_fragments)
def test_any_markup_extracts_or_raises_extraction_error(html: str) -> None:
    try:
        extracted = extract(html, "http://127.0.0.1/news/1/", ExtractionRules(post_selectors=(".type-post",)))
    except ExtractionError:
        return
    assert extracted.title and extracted.body


JSONLD_KEYS = ["@type", "@graph", "datePublished", "dateModified", "author", "name", "headline", "inLanguage", "url"]
PAGE_URL = "http://127.0.0.1/news/1/"
ARTICLE = (Path(__file__).parent / "files" / "properties" / "article.html").read_text("utf-8")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | machine_dates,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(JSONLD_KEYS), inner, max_size=4),
    max_leaves=12,
)
BROKEN_LINKS = [
    "http://[::1/x.pdf",
    "http://127.0.0.1:99999/x.pdf",
    "//[",
    "javascript:alert(1)",
    "data:,x",
    "mailto:a@b",
]
attribute_values = st.one_of(st.text(max_size=30), machine_dates, thai_dates, st.sampled_from(BROKEN_LINKS)).map(
    html.escape
)


NO_SLOTS = dict.fromkeys(("lang", "published", "modified", "image", "author", "canonical", "link", "visible_date"), "")


@EXAMPLES
@example({**NO_SLOTS, "title": "0", "jsonld": '"1995-01-01T00:00:00+24:00"'})  # htmldate raised
@example({**NO_SLOTS, "title": "0", "modified": "2512;2;29T00", "jsonld": "null"})  # BE 29 Feb of 1969
@given(
    st.fixed_dictionaries(
        {
            "lang": attribute_values,
            "title": st.text(min_size=1, max_size=30).map(html.escape),
            "published": attribute_values,
            "modified": attribute_values,
            "image": attribute_values,
            "author": attribute_values,
            "canonical": attribute_values,
            "link": attribute_values,
            "visible_date": attribute_values,
            "jsonld": json_values.map(lambda v: html.escape(json.dumps(v), quote=False)),
        }
    )
)
def test_an_article_with_any_metadata_extracts_to_what_the_archive_stores(slots: dict[str, str]) -> None:
    try:
        extracted = extract(ARTICLE.format(**slots), PAGE_URL, ExtractionRules(), find_files=True)
    except ExtractionError:
        return  # a title of spaces: refused in words
    json.dumps(extracted.as_dict())  # every field storable as it is
    addresses = [extracted.url, *([extracted.image] if extracted.image else []), *(url for url, _ in extracted.files)]
    assert all(urlsplit(address).scheme in ("http", "https") for address in addresses)


@EXAMPLES
@given(st.binary(max_size=3000))
def test_any_bytes_through_the_worker_path_give_an_outcome_never_an_exception(body: bytes) -> None:
    outcome, _ = extract_page(body, None, "http://127.0.0.1/", ExtractionRules())
    assert outcome in ("ok", "error")


def small_archive() -> Database:
    db = Database(memory=True)
    migrations.apply(db)
    writer = ArchiveWriter(db)
    for n, (title, body) in enumerate(
        [("รางวัลเลิศรัฐ", "กรมการพัฒนาชุมชน OTOP ๒๕๖๖ ข่าว"), ("Annual report", 'Quotes " and * and ( ) NEAR/2 -x')]
    ):
        writer.write_article(
            {
                "url": f"https://x.go.th/{n}",
                "site": "x",
                "agency": "x",
                "title": title,
                "body": body,
                "source_url": f"https://x.go.th/{n}",
                "http_status": 200,
                "fetched_at": "2024-01-01T00:00:00+00:00",
                "extractor": "test",
            }
        )
    return db


ARCHIVE = small_archive()
query_words = st.one_of(
    st.text(max_size=30),
    st.lists(
        st.sampled_from(
            ['"', "*", "-", "OR", "AND", "NOT", "NEAR", "(", ")", ":", "^", "ก", "รางวัล", "OTOP", "๒๕", "title:"]
        ),
        max_size=8,
    ).map(" ".join),
)


@EXAMPLES
@given(query_words)
def test_any_query_returns_hits_or_says_why_never_an_sqlite_error(query: str) -> None:
    try:
        hits = search(ARCHIVE, query)
    except QueryError as error:
        assert str(error)  # a reason in words
        return
    assert all(hit.url.startswith("https://x.go.th/") for hit in hits)
