"""Raw captures as standard WARC files (warcio): the evidence behind every archived version.

One gzipped WARC file per crawl run and site, in `warc/` beside the archive file. Each
fetched article response (status line, headers, body bytes as received after transfer
decoding) becomes a `response` record; its (file, offset, length) is stored with the version
so the exact bytes can be read back, re-extracted, or replayed with tools such as pywb.

A re-fetch that answers with the very bytes of the capture behind the current version (a site
that sends no validators, so no 304) becomes a `revisit` record instead (WARC's
identical-payload-digest profile): when and where the page was fetched again and its headers,
a few hundred bytes, not a second copy of the page.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

WARC_DIR = "warc"
GZIP_LEVEL = 2  # ISA-L's levels are 0-3: see gzip_member
DIGEST = "sha1"  # what warcio and the tools reading WARC files use
# Headers that describe the transfer, not the payload we store (Scrapy has already decoded
# gzip and chunking), and would make a replay tool misread the body.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
MESSAGE_CHARS = 80  # of a reader's error message about a damaged record


@dataclass(frozen=True)
class Pointer:
    """Where one record lies: file (relative to the archive's folder), byte offset, length."""

    warc_file: str
    warc_offset: int
    warc_length: int


def point_at(holder: Any, pointer: Pointer) -> None:
    """Set a result's WARC pointer columns (an article's version, an attachment)."""
    holder.warc_file, holder.warc_offset = pointer.warc_file, pointer.warc_offset
    holder.warc_length = pointer.warc_length


@dataclass(frozen=True)
class Capture:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Original:
    """The capture behind an article's current version, which a re-fetch may repeat byte for
    byte: its target URI, when it was fetched, its payload digest and where its record lies."""

    url: str
    fetched_at: str
    payload_digest: str
    pointer: Pointer


@dataclass(frozen=True)
class Record:
    """One WARC record, gzipped, ready for WarcFile.append; `revisit` when it repeats an
    Original's payload (the version's bytes are then the Original's record)."""

    data: bytes = field(repr=False)
    payload_digest: str | None = None
    revisit: bool = False


NO_RECORD = Record(b"")


def warc_dir(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / WARC_DIR


class WarcFile:
    """Appends response records to one WARC file per crawl run and site, made when the first
    record comes: a run that captures nothing (a re-crawl of an unchanged site) leaves no file."""

    def __init__(self, db_path: str | Path, name: str) -> None:
        self.root = Path(db_path).resolve().parent
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.path = warc_dir(db_path) / f"{safe}-{stamp}.warc.gz"
        self.writer = WARCWriter(BytesIO(), gzip=False)  # records are gzipped by gzip_member
        self.file: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        """Unbuffered: one write a record, so a record that fails half-way (a full disk) can be
        cut off again and leaves the file readable."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file: BinaryIO = self.path.open("ab", buffering=0)
        info = {"software": f"govarchive (warcio {version('warcio')})", "format": "WARC File Format 1.1"}
        try:
            append_whole(file, gzip_member(self.writer.create_warcinfo_record(self.path.name, info), self.writer))
        except OSError:
            file.close()
            raise
        self.file = file
        return file

    def append(self, record: bytes) -> Pointer:
        """A record made by response_record (in whichever process holds the page), at the end."""
        file = self.file or self._open()
        offset = file.tell()
        append_whole(file, record)
        return Pointer(str(self.path.relative_to(self.root)), offset, file.tell() - offset)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def response_record(capture: Capture, fetched_at: str, original: Original | None = None) -> Record:
    """One `response` record, digests computed and gzipped as its own member, ready for
    WarcFile.append: the crawl builds it in the worker process that extracts the page, off its
    reactor (about 0.3 ms of digests and compression a page). A `revisit` record when the body
    is the `original`'s, byte for byte."""
    writer = WARCWriter(BytesIO(), gzip=False)
    headers = [(k, v) for k, v in capture.headers if k.lower() not in TRANSFER_HEADERS]
    headers.append(("Content-Length", str(len(capture.body))))
    http_headers = StatusAndHeaders(f"{capture.status} {_reason(capture.status)}", headers, protocol="HTTP/1.1")
    http_headers.compute_headers_buffer(writer.header_filter)
    digests = _digests(http_headers.headers_buff, capture.body)
    payload_digest = digests["WARC-Payload-Digest"]
    date = {"WARC-Date": _warc_date(fetched_at)}
    if original is not None and original.payload_digest == payload_digest:
        refers_to = (original.url, _warc_date(original.fetched_at))
        revisit = writer.create_revisit_record(capture.url, payload_digest, *refers_to, http_headers, date)
        return Record(gzip_member(revisit, writer), payload_digest, revisit=True)
    record = writer.create_warc_record(
        capture.url,
        "response",
        payload=BytesIO(capture.body),
        length=len(capture.body),
        http_headers=http_headers,
        warc_headers_dict={**date, **digests},
    )
    return Record(gzip_member(record, writer), payload_digest)


def _digests(http_head: bytes, body: bytes) -> dict[str, str]:
    """The record's digests, each hashed in one call: given them and the length, warcio
    neither copies the body to a temporary file nor hashes it in 16 KB pieces. A record of the
    bench's 90 KB pages: 0.29 ms against 0.41 (best of four rounds of 300 pages each)."""
    payload, block = Digester(DIGEST), Digester(DIGEST)
    payload.update(body)
    block.update(http_head)
    block.update(body)
    return {"WARC-Payload-Digest": str(payload), "WARC-Block-Digest": str(block)}


def append_whole(file: BinaryIO, data: bytes) -> None:
    """All of `data` at the end of `file`, or none of it. An unbuffered write may write part
    and return (a disk filling up), and the next write fail: whatever got written is cut off
    again, and the position put back, so the file ends with a whole record and the next
    record's offset is right."""
    offset = file.tell()
    view = memoryview(data)
    try:
        while view:
            written = file.write(view)
            if not written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
    except OSError:
        file.truncate(offset)
        file.seek(offset)
        raise


class UnreadableCaptureError(Exception):
    """A capture's WARC record is missing, cut short or corrupted; the message names it."""


def read_capture(db_path: str | Path, pointer: Pointer) -> Capture:
    """The response stored at `pointer`, read back from its WARC file and checked against its
    digests and length, so a record cut short or overwritten is refused, never read as a
    shorter page."""
    return read_checked(db_path, pointer)[0]


def read_checked(db_path: str | Path, pointer: Pointer) -> tuple[Capture, bytes]:
    """The response at `pointer` (as read_capture) and the record's bytes as stored, one gzip
    member (a WARC file of one record) for replay tools: read once, checked before use."""
    try:
        stored = read_record(db_path, pointer)
        record = next(iter(ArchiveIterator(BytesIO(stored), check_digests="raise")), None)
        if record is None:
            raise EOFError("the file ends before this record")
        if record.http_headers is None or record.rec_type != "response":
            raise ValueError("not an HTTP response record")
        body = record.content_stream().read()
        declared = record.http_headers.get_header("Content-Length")  # WarcFile writes it
        if declared is not None and int(declared) != len(body):
            raise EOFError(f"the record is cut short: {len(body)} of {declared} bytes")
        status = int(record.http_headers.get_statuscode())
        uri = record.rec_headers.get_header("WARC-Target-URI")
        return Capture(uri, status, record.http_headers.headers, body), stored
    except Exception as error:  # a damaged file breaks gzip, warcio or the HTTP parser in many ways
        where = f"{pointer.warc_file} at byte {pointer.warc_offset} ({pointer.warc_length} bytes)"
        raise UnreadableCaptureError(f"{where}: {_in_words(error)}") from error


def read_record(db_path: str | Path, pointer: Pointer) -> bytes:
    """The record's bytes as stored, unchecked (read_checked checks them)."""
    path = Path(db_path).resolve().parent / pointer.warc_file
    with path.open("rb") as file:
        file.seek(pointer.warc_offset)
        return file.read(pointer.warc_length)


def _in_words(error: Exception) -> str:
    """One short printable line: warcio quotes the damaged bytes in its messages."""
    first_line = (str(error).splitlines() or [""])[0]
    printable = "".join(c for c in first_line if c.isprintable())[:MESSAGE_CHARS]
    return f"{type(error).__name__}: {printable}" if printable else type(error).__name__


def gzip_member(record: object, writer: WARCWriter) -> bytes:
    """One record as its own gzip member, as the WARC standard's .warc.gz expects.

    warcio compresses with zlib at level 9. This runs once per fetched page, so it uses ISA-L
    (python-isal: standard gzip output, Intel's deflate, fast on any x86-64 or arm64). On 200
    real pages of ../shared/corpus (263 KB on average) its level 2 takes 0.39 ms a page and
    keeps 22.6% of the bytes, where zlib-ng's level 2 (used before) took 1.06 ms for 22.3%;
    on the bench's synthetic pages 0.16 against 0.51 ms, 24.4 against 23.5 KB. zlib's level 9
    takes ~5 ms.
    """
    buffer = BytesIO()
    writer.out = buffer
    writer.write_record(record)
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
    return compressor.compress(buffer.getvalue()) + compressor.flush()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _warc_date(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
