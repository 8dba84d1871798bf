"""The text of an attached file: a PDF's text layer (its scanned pages through OCR), an Office
or ODF document's text; images and legacy binary Office files are kept without text.

Files from the web may be hostile (bombs, broken or endless PDFs, passwords). PDFs are read
by separate programs, poppler's pdftotext and pdftoppm and Tesseract, each in a child process
with a time limit and a memory limit; Office files are zip archives read here with a bound on
the bytes unpacked. A file that cannot be read raises UnreadableDocumentError with the reason,
which becomes a failure row: never a crash, never a blown memory.

Why pdftotext: on Thai PDFs printed by Chromium its text scores character 3-gram F1 1.000
against the source, where PDFium (pypdfium2) repeats stacked marks (0.988) and pypdf and
pdfminer.six need their presentation forms and mark order repaired (0.82 raw); it reads a page
in about 10 ms, and as a program of its own (GPL, not linked) a crash or a loop costs a child
process (docs/attachments.md). repair_thai still mends what older Thai fonts put in the text
layer (private-use glyph codes, SARA AM in two parts, tone marks before vowels).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT, ODS, ODP = (f"application/vnd.oasis.opendocument.{kind}" for kind in ("text", "spreadsheet", "presentation"))
LEGACY_OFFICE = "application/x-ole-storage"  # .doc, .xls, .ppt: kept, text not read
IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
OFFICE_PARTS = {  # which parts of each zip format hold its text, one page per part
    DOCX: re.compile(r"word/document\.xml"),
    XLSX: re.compile(r"xl/sharedStrings\.xml"),
    PPTX: re.compile(r"ppt/slides/slide\d+\.xml"),
    ODT: re.compile(r"content\.xml"),
    ODS: re.compile(r"content\.xml"),
    ODP: re.compile(r"content\.xml"),
}
PARAGRAPHS = {"p", "tr", "si", "h", "list-item", "table-row"}  # XML elements that end a line
MIN_PAGE_CHARS = 20  # fewer letters than this on a PDF page: a scan, read by OCR
OCR_DPI = 200  # Tesseract's `tha` model at 200 dpi: F1 0.958 on scans, 3x faster than 300
KEPT_READINGS = 256  # files' texts a run keeps for copies under other URLs


class UnreadableDocumentError(Exception):
    """Why a file's text could not be read, in words for the failures table."""


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one file; the crawl's settings (GOVARCHIVE_ATTACHMENT_*) give them."""

    seconds: float = 60.0  # each program run (pdftotext, one page's rendering or OCR)
    memory: int = 1 << 30  # address space of each program, bytes
    ocr_pages: int = 20  # scanned pages read by OCR, per document
    ocr_seconds: float = 300.0  # all the OCR of one document
    unpacked: int = 64 << 20  # bytes of XML unpacked from an Office file
    languages: str = "tha+eng"

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """From Scrapy settings (crawler/settings.py names them)."""
        return cls(
            seconds=settings.getfloat("GOVARCHIVE_ATTACHMENT_SECONDS"),
            memory=settings.getint("GOVARCHIVE_ATTACHMENT_MEMORY"),
            ocr_pages=settings.getint("GOVARCHIVE_ATTACHMENT_OCR_PAGES"),
            ocr_seconds=settings.getfloat("GOVARCHIVE_ATTACHMENT_OCR_SECONDS"),
            unpacked=settings.getint("GOVARCHIVE_ATTACHMENT_UNPACKED"),
            languages=settings.get("GOVARCHIVE_OCR_LANGUAGES"),
        )


@dataclass
class DocumentText:
    media_type: str
    pages: list[str] = field(default_factory=list)  # one text per page (slide, sheet); [] without text
    method: str = "none"  # pdftotext, ocr, pdftotext+ocr, office, none
    note: str = ""  # what was left unread, and why

    @property
    def text(self) -> str:
        """Pages separated by form feeds, as pdftotext separates them: a match's page is the
        number of form feeds before it, plus one."""
        return "\f".join(self.pages)


class ReadOnce:
    """A run's readings by the files' SHA-256: the same bytes under another URL are read once
    (OCR costs seconds a page); a copy that arrives while the first is read waits for it. The
    most recent KEPT_READINGS are kept."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.readings: OrderedDict[str, Future[DocumentText | str]] = OrderedDict()

    def read(self, sha256: str, body: bytes, kind: str, limits: Limits) -> tuple[DocumentText | str, bool]:
        """The file's text (or why it is unreadable), and whether it was read before."""
        with self.lock:
            reading = self.readings.get(sha256)
            first = reading is None
            if reading is None:
                reading = self.readings[sha256] = Future()
                while len(self.readings) > KEPT_READINGS:
                    self.readings.popitem(last=False)
        if first:
            try:
                reading.set_result(read_document(body, kind, limits))
            except UnreadableDocumentError as error:
                reading.set_result(str(error))
            except BaseException as error:  # a bug: the copies waiting see it too
                reading.set_exception(error)
                raise
        return reading.result(), not first


def media_type(body: bytes, declared: str | None) -> str:
    """What a file is by its first bytes (servers label files wrongly), else as declared."""
    if body.startswith(b"%PDF-") or b"%PDF-" in body[:1024]:
        return PDF
    if body.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    for signature, kind in IMAGE_SIGNATURES.items():
        if body.startswith(signature):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if body.startswith(b"PK\x03\x04"):
        return _zip_type(body) or (declared or "application/zip")
    return (declared or "application/octet-stream").split(";")[0].strip().lower()


def _zip_type(body: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return archive.read("mimetype")[:100].decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    for kind, prefix in ((DOCX, "word/"), (XLSX, "xl/"), (PPTX, "ppt/")):
        if any(name.startswith(prefix) for name in names):
            return kind
    return None


def read_document(body: bytes, kind: str, limits: Limits) -> DocumentText:
    """The text of a file of media type `kind` (see media_type)."""
    if kind == PDF:
        return read_pdf(body, limits)
    if kind in OFFICE_PARTS:
        return read_office(body, kind, limits)
    return DocumentText(kind)


# -- PDF ---------------------------------------------------------------------------------
def read_pdf(body: bytes, limits: Limits) -> DocumentText:
    """The text layer page by page; pages without one (scans) through OCR, within the bounds."""
    with tempfile.TemporaryDirectory(prefix="govarchive-pdf-") as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(body)
        layer = _run(["pdftotext", "-enc", "UTF-8", str(path), "-"], limits).decode("utf-8", "replace")
        pages = [repair_thai(page) for page in layer.split("\f")]
        if len(pages) > 1 and not pages[-1].strip():
            pages.pop()  # pdftotext ends the last page with a form feed too
        scans = [n for n, page in enumerate(pages) if _letters(page) < MIN_PAGE_CHARS]
        if not scans:
            return DocumentText(PDF, pages, "pdftotext")
        read, note = _ocr_pages(path, pages, scans, limits)
        method = "ocr" if read == len(pages) else "pdftotext+ocr" if read else "pdftotext"
        return DocumentText(PDF, pages, method, note)


def _ocr_pages(path: Path, pages: list[str], scans: list[int], limits: Limits) -> tuple[int, str]:
    """OCR of the scanned pages, in place in `pages`; how many were read, and what was not."""
    deadline = time.monotonic() + limits.ocr_seconds
    read = 0
    for number in scans[: limits.ocr_pages]:
        if time.monotonic() > deadline:
            break
        page = str(number + 1)
        image = _run(["pdftoppm", "-f", page, "-l", page, "-r", str(OCR_DPI), "-gray", "-png", str(path)], limits)
        text = _run(["tesseract", "stdin", "stdout", "-l", limits.languages], limits, stdin=image)
        pages[number] = repair_thai(text.decode("utf-8", "replace"))
        read += 1
    left = len(scans) - read
    if not left:
        return read, ""
    bound = "GOVARCHIVE_ATTACHMENT_OCR_PAGES" if read == limits.ocr_pages else "GOVARCHIVE_ATTACHMENT_OCR_SECONDS"
    return read, f"{left} scanned pages not read by OCR ({bound})"


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _run(command: list[str], limits: Limits, stdin: bytes | None = None) -> bytes:
    """One program on one file, bounded in time and memory; its output, or why it failed."""
    memory = limits.memory

    def bounded() -> None:  # in the child, before the program starts
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            timeout=limits.seconds,
            preexec_fn=bounded,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # Tesseract: one core each, faster on two
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadableDocumentError(
            f"{command[0]} took over {limits.seconds:g} s (GOVARCHIVE_ATTACHMENT_SECONDS)"
        ) from error
    except FileNotFoundError as error:
        raise UnreadableDocumentError(
            f"{command[0]} is not installed (govarchive doctor says what to install)"
        ) from error
    if done.returncode != 0:
        said = _first_line(done.stderr)
        if "password" in said.lower():
            raise UnreadableDocumentError(f"encrypted: the file needs a password ({command[0]}: {said})")
        raise UnreadableDocumentError(f"{command[0]}: {said or f'exit {done.returncode}'}")
    return done.stdout


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


# -- Office and ODF ----------------------------------------------------------------------
def read_office(body: bytes, kind: str, limits: Limits) -> DocumentText:
    """The text of each part that holds some (a Word body, each slide, a workbook's strings),
    unpacking at most limits.unpacked bytes in all: a zip bomb stops there."""
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            if any(info.flag_bits & 0x1 for info in archive.infolist()):
                raise UnreadableDocumentError("encrypted: the file needs a password")
            parts = sorted((n for n in archive.namelist() if OFFICE_PARTS[kind].fullmatch(n)), key=_natural)
            budget, pages = limits.unpacked, []
            for name in parts:
                with archive.open(name) as part:
                    xml = part.read(budget + 1)
                budget -= len(xml)
                if budget < 0:
                    raise UnreadableDocumentError(
                        f"unpacks to over {limits.unpacked:,} bytes of text (GOVARCHIVE_ATTACHMENT_UNPACKED)"
                    )
                pages.append(_xml_text(xml))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as error:
        raise UnreadableDocumentError(f"broken {kind.rsplit('.', 1)[-1]} file: {error}") from error
    return DocumentText(kind, pages, "office" if pages else "none")


def _natural(name: str) -> list[int | str]:
    """slide2 before slide10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _xml_text(xml: bytes) -> str:
    """The text nodes of an Office XML part, a line per paragraph (or row); entities and DTDs
    are never resolved, and no network is touched."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise UnreadableDocumentError(f"broken XML in the file: {error}") from error
    if root is None:
        return ""
    lines, line = [], []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        local = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if event == "start" and element.text and local in ("t", "span", "p", "h", "v"):
            line.append(element.text)
        elif event == "end":
            if local in ("tab",):
                line.append("\t")
            if local in PARAGRAPHS and line:
                lines.append("".join(line).strip())
                line = []
            elif element.tail and local == "span":
                line.append(element.tail)
    if line:
        lines.append("".join(line).strip())
    return repair_thai("\n".join(text for text in lines if text))


# -- Thai --------------------------------------------------------------------------------
# Older Thai fonts (Windows' and Mac's "Thai PUA") draw raised and lowered marks with private
# code points, which reach the text layer: U+F700-U+F71A, mapped back to the marks they draw.
PUA_MARKS = (  # what U+F700, U+F701... draw, in order
    "\u0e10\u0e34\u0e35\u0e36\u0e37\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e48\u0e49"
    "\u0e4a\u0e4b\u0e4c\u0e0d\u0e31\u0e4d\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e38\u0e39\u0e3a"
)
THAI_PUA = str.maketrans(dict(zip(range(0xF700, 0xF700 + len(PUA_MARKS)), PUA_MARKS, strict=True)))
SARA_AM_IN_PARTS = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
TONE_BEFORE_VOWEL = re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e37\u0e38-\u0e3a\u0e47])")
SPACE_BEFORE_MARK = re.compile("(?<=[\u0e01-\u0e2e]) +(?=[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])")


def repair_thai(text: str) -> str:
    """Thai text as Unicode stores it: private-use glyph codes mapped back, NIKHAHIT and SARA AA
    joined into SARA AM, a tone mark after the vowel it sits on, no space before a mark."""
    text = unicodedata.normalize("NFC", text.translate(THAI_PUA))
    text = SARA_AM_IN_PARTS.sub(lambda m: m.group(1) + "\u0e33", text)
    text = TONE_BEFORE_VOWEL.sub(r"\2\1", text)
    return SPACE_BEFORE_MARK.sub("", text)
