"""Encodings by evidence: a declared charset that is right keeps its page, bad bytes and all;
Thai windows-874 pages read right whatever their label says (crawler/encoding.py)."""

from __future__ import annotations

import gzip

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.test import get_crawler
from w3lib.encoding import resolve_encoding

from crawler.encoding import THAI, choose_encoding, decode_html
from crawler.middlewares import CheckedDecompression, EncodingFixMiddleware
from crawler.settings import DOWNLOADER_MIDDLEWARES
from tests.conftest import FILES

PAGES = FILES / "encodings"
TITLE = "พม. ร่วมมือสำนักงานองค์การระหว่างประเทศเพื่อการโยกย้ายถิ่นฐาน (IOM)"
UTF8_HEADER = "text/html; charset=utf-8"


def test_a_utf8_page_with_a_few_invalid_bytes_stays_utf8_with_the_bytes_replaced() -> None:
    body = (PAGES / "utf8-with-invalid-bytes.html").read_bytes()
    assert body.count(b"\xff") == 3
    assert resolve_encoding(choose_encoding(body, UTF8_HEADER)) == "utf-8"
    text = decode_html(body, UTF8_HEADER)
    assert TITLE in text and text.count("\ufffd") == 3


def test_the_same_page_unlabelled_is_utf8_too() -> None:
    body = (PAGES / "utf8-with-invalid-bytes.html").read_bytes().replace(b'<meta charset="utf-8">', b"")
    assert resolve_encoding(choose_encoding(body, "text/html")) == "utf-8"


def test_a_windows_874_page_labelled_utf8_is_read_as_thai() -> None:
    body = (PAGES / "windows-874-labelled-utf8.html").read_bytes()
    assert choose_encoding(body, UTF8_HEADER) == THAI
    assert TITLE in decode_html(body, UTF8_HEADER)


def test_an_unlabelled_windows_874_page_is_read_as_thai() -> None:
    body = (PAGES / "windows-874-unlabelled.html").read_bytes()
    assert choose_encoding(body, None) == THAI
    assert TITLE in decode_html(body)


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-16", "text/html; charset=cp037"])
def test_a_utf8_page_labelled_utf16_or_ebcdic_is_read_as_utf8(content_type: str) -> None:
    """UTF-16 and EBCDIC decode a UTF-8 page without an error, into nonsense with no tags."""
    body = (PAGES / "utf8-labelled-utf16.html").read_bytes()  # its <meta> says utf-16
    assert resolve_encoding(choose_encoding(body, content_type)) == "utf-8"
    assert TITLE in decode_html(body, content_type)


def test_a_real_utf16_page_without_a_byte_order_mark_stays_utf16() -> None:
    page = (PAGES / "utf8-labelled-utf16.html").read_text("utf-8")
    body = page.encode("utf-16-le")
    assert choose_encoding(body, "text/html; charset=utf-16le") == "utf-16-le"
    assert decode_html(body, "text/html; charset=utf-16le") == page


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        ("utf8-labelled-utf16.html", "text/html; charset=utf-16"),
        ("utf8-with-invalid-bytes.html", UTF8_HEADER),
        ("windows-874-labelled-utf8.html", UTF8_HEADER),
        ("windows-874-unlabelled.html", "text/html"),
        ("windows-874-labelled-utf8.html", "text/html; charset=windows-874"),
    ],
)
def test_the_middleware_hands_on_the_text_scrapy_would_read_under_the_encoding_it_keeps(
    page: str, content_type: str
) -> None:
    """The encoding check's own reading of the body is handed on as `response.text`, where it
    is the same: the body is decoded once, not twice."""
    body = (PAGES / page).read_bytes()
    fetched = HtmlResponse("http://127.0.0.1/a/", body=body, headers={"Content-Type": content_type})
    checked = EncodingFixMiddleware().process_response(Request(fetched.url), fetched)
    assert isinstance(checked, HtmlResponse)
    scrapys_own = HtmlResponse(checked.url, body=body, headers=checked.headers, encoding=checked.encoding)
    assert checked.text == scrapys_own.text
    assert TITLE in checked.text


def test_a_gzipped_windows_874_page_labelled_utf8_reaches_the_spider_read_as_thai() -> None:
    """Responses pass the downloader middlewares from the highest number down: the encoding
    check must come after decompression, whose new response would otherwise undo it."""
    order = build_component_list(
        Settings({"DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES}).getwithbase("DOWNLOADER_MIDDLEWARES")
    )
    passed = [name.rsplit(".", 1)[-1] for name in reversed(order)]
    assert passed.index("CheckedDecompression") < passed.index("EncodingFixMiddleware")
    body = gzip.compress((PAGES / "windows-874-labelled-utf8.html").read_bytes())
    headers = {"Content-Type": UTF8_HEADER, "Content-Encoding": "gzip"}
    fetched = HtmlResponse("http://127.0.0.1/a/", body=body, headers=headers)
    decompressed = CheckedDecompression.from_crawler(get_crawler()).process_response(Request(fetched.url), fetched)
    assert isinstance(decompressed, HtmlResponse)
    checked = EncodingFixMiddleware().process_response(Request(fetched.url), decompressed)
    assert isinstance(checked, HtmlResponse) and TITLE in checked.text
    assert checked.encoding == THAI
