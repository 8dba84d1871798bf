"""A capture's WARC record carries the digests warcio itself computes, though we hash the body once."""

from __future__ import annotations

from io import BytesIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc import Capture, response_record
from tests.conftest import FILES

DIGESTS = ("WARC-Payload-Digest", "WARC-Block-Digest")
CAPTURE = Capture(
    "http://127.0.0.1:8765/news-017/",
    200,
    [("Content-Type", "text/html; charset=UTF-8"), ("Server", "nginx")],
    (FILES / "cdd-mirror" / "article-seed.html").read_bytes(),
)


def warcio_own_digests(capture: Capture) -> dict[str, str]:
    """The record warcio builds when left to find the length and digests itself."""
    writer = WARCWriter(BytesIO(), gzip=False)
    headers = [*capture.headers, ("Content-Length", str(len(capture.body)))]
    http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        capture.url, "response", payload=BytesIO(capture.body), http_headers=http_headers
    )
    writer.write_record(record)
    return {name: record.rec_headers.get_header(name) for name in DIGESTS}


def test_a_response_record_carries_the_digests_warcio_computes_and_reads_back_checked() -> None:
    stored = BytesIO(response_record(CAPTURE, "2023-05-02T09:00:00+07:00").data)
    read = [
        (record.rec_headers, record.content_stream().read())
        for record in ArchiveIterator(stored, check_digests="raise")
    ]
    assert [body for _, body in read] == [CAPTURE.body]
    headers = read[0][0]
    assert {name: headers.get_header(name) for name in DIGESTS} == warcio_own_digests(CAPTURE)
    assert headers.get_header("WARC-Date") == "2023-05-02T02:00:00Z"
