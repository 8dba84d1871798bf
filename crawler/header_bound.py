"""A bound on a response's header section, which Twisted's HTTP client reads whole, whatever
its size: DOWNLOAD_MAXSIZE counts the body only. A server sending 4,000,000 header lines
(200 MB) took a crawl to 507 MB and 36 s of CPU for one page, and the growth has no end.
Chrome refuses response headers over 256 KB; GOVARCHIVE_MAX_HEADER_BYTES does the same.

Scrapy's HTTP/1.1 handler parses each response with its `_LenientHTTPClientParser`, swapping
the class of the parser Twisted made for each request. `install()` puts a subclass in that
place which counts the header lines' bytes and gives the response up past the bound: the
request fails with `HeadersTooLargeError` as the reason inside Scrapy's DownloadFailedError.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import DownloadFailedError
from twisted.web.client import ResponseFailed

from crawler import settings

HEADER_BYTES_SETTING = "GOVARCHIVE_MAX_HEADER_BYTES"


class HeadersTooLargeError(Exception):
    """A response's header section passed GOVARCHIVE_MAX_HEADER_BYTES."""


class BoundedHeaderParser(http11._LenientHTTPClientParser):  # type: ignore[misc]
    """Scrapy's lenient parser, stopped once the header lines pass `max_bytes`."""

    max_bytes = settings.GOVARCHIVE_MAX_HEADER_BYTES
    header_bytes = 0

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 (Twisted's name)
        self.header_bytes += len(line) + 1  # the body is read raw: only the status and headers come here
        if self.header_bytes > self.max_bytes:
            raise HeadersTooLargeError(f"response headers over {self.max_bytes:,} bytes")
        super().lineReceived(line)


def install() -> None:
    """Every response the crawl's HTTP/1.1 handler reads from now on is bounded."""
    http11._LenientHTTPClientParser = BoundedHeaderParser  # type: ignore[misc]


def headers_too_large(error: BaseException | None) -> HeadersTooLargeError | None:
    """The bound's error, when a failed download ended on it."""
    cause = error.__cause__ if isinstance(error, DownloadFailedError) else None
    reasons = cause.reasons if isinstance(cause, ResponseFailed) else []
    return next((r.value for r in reasons if isinstance(r.value, HeadersTooLargeError)), None)
