"""Reading attached files (crawler/documents.py): the text of a Thai PDF, of the same page
scanned (OCR), of a Word file; hostile files become a reason, never a crash or a blown memory.

The files are in tests/files/attachments (README there says how each was made). Needs
poppler-utils and tesseract-ocr-tha (.ci/run installs them); without them these tests skip,
unless GOVARCHIVE_REQUIRE_OCR=1.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.pdf_text import f1
from crawler.documents import (
    DOCX,
    LEGACY_OFFICE,
    PDF,
    Limits,
    ReadOnce,
    UnreadableDocumentError,
    media_type,
    read_document,
    repair_thai,
)

FILES = Path(__file__).parent / "files" / "attachments"
NOTICE = (FILES / "notice.txt").read_text("utf-8")
MISSING = [tool for tool in ("pdftotext", "pdftoppm", "tesseract") if shutil.which(tool) is None]
if MISSING:
    if os.environ.get("GOVARCHIVE_REQUIRE_OCR") == "1":
        raise RuntimeError(f"{', '.join(MISSING)} missing: apt-get install -y poppler-utils tesseract-ocr-tha")
    pytest.skip(
        f"{', '.join(MISSING)} missing (apt-get install -y poppler-utils tesseract-ocr-tha)", allow_module_level=True
    )


def read(name: str, limits: Limits | None = None) -> str:
    """A file's text, its type labelled by its name as a web server labels it."""
    body = (FILES / name).read_bytes()
    return read_document(body, media_type(body, mimetypes.guess_type(name)[0]), limits or Limits()).text


def test_a_printed_thai_pdf_is_read_from_its_text_layer_as_printed() -> None:
    document = read_document((FILES / "notice.pdf").read_bytes(), PDF, Limits())
    assert document.method == "pdftotext"
    assert f1(document.text, NOTICE) >= 0.98


def test_a_scanned_thai_page_is_read_by_ocr() -> None:
    document = read_document((FILES / "notice-scanned.pdf").read_bytes(), PDF, Limits())
    assert document.method == "ocr"
    assert f1(document.text, NOTICE) >= 0.90


def test_ocr_stops_at_its_page_bound_and_says_so() -> None:
    document = read_document((FILES / "notice-scanned.pdf").read_bytes(), PDF, Limits(ocr_pages=0))
    assert document.method == "pdftotext"
    assert "GOVARCHIVE_ATTACHMENT_OCR_PAGES" in document.note


def test_a_word_file_is_read_a_line_per_paragraph() -> None:
    body = (FILES / "notice.docx").read_bytes()
    assert media_type(body, "application/octet-stream") == DOCX
    assert read("notice.docx").splitlines() == NOTICE.splitlines()


def test_files_are_known_by_their_bytes_not_their_label() -> None:
    assert media_type((FILES / "notice.pdf").read_bytes(), "text/html") == PDF
    assert media_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "application/msword") == LEGACY_OFFICE
    assert media_type(b"\x89PNG\r\n\x1a\n" + bytes(20), None) == "image/png"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "password"),
        ("truncated.pdf", "pdftotext"),
        ("bomb.docx", "GOVARCHIVE_ATTACHMENT_UNPACKED"),
        ("truncated.docx", "broken"),
        ("bomb.pdf", "GOVARCHIVE_ATTACHMENT_SECONDS"),
    ],
)
def test_a_hostile_file_is_a_reason_within_bounded_memory_and_time(name: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(UnreadableDocumentError, match=reason):
        read(name, Limits(memory=256 << 20, unpacked=1 << 20, seconds=1))
    assert time.monotonic() - started < 10


def test_a_page_too_large_to_render_costs_nothing() -> None:
    """200 x 200 inches without text: 1.6 GB as an image at OCR's resolution. Poppler declines
    to render it (under the memory bound, in any case), and the page is read as empty."""
    document = read_document((FILES / "huge-page.pdf").read_bytes(), PDF, Limits(memory=256 << 20, seconds=20))
    assert document.pages == [""]


def test_a_program_that_takes_too_long_is_stopped() -> None:
    with pytest.raises(UnreadableDocumentError, match="GOVARCHIVE_ATTACHMENT_SECONDS"):
        read("notice-scanned.pdf", Limits(seconds=0.01))


def test_thai_text_from_older_fonts_is_mended() -> None:
    # ที่ with its tone mark before its vowel; น้ำ with SARA AM in two parts; ปิ with a private-use vowel
    assert repair_thai("\u0e17\u0e48\u0e35 \u0e19\u0e4d\u0e49\u0e32 \u0e1b\uf701") == "ที่ น้ำ ปิ"
    assert repair_thai(NOTICE) == NOTICE


def test_the_same_bytes_are_read_once_even_when_two_copies_arrive_together() -> None:
    body = (FILES / "notice-scanned.pdf").read_bytes()  # OCR: seconds, so the two overlap
    once = ReadOnce()
    with ThreadPoolExecutor(2) as pool:
        readings = list(pool.map(lambda _: once.read("same", body, PDF, Limits()), range(2)))
    assert sorted(again for _, again in readings) == [False, True]
    assert readings[0][0] is readings[1][0]
