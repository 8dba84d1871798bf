"""Downloader middleware: re-read responses whose declared encoding is wrong."""

from __future__ import annotations

import logging

from scrapy.http import Request, Response, TextResponse

from crawler.encoding import choose_encoding

log = logging.getLogger(__name__)


class EncodingFixMiddleware:
    """Pages then reach spiders and pipelines as correct Unicode, whatever the header said."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        encoding = choose_encoding(response.body, content_type)
        if encoding != response.encoding and encoding.replace("-", "") != response.encoding.replace("-", ""):
            log.info("%s: declared encoding %s is wrong; read as %s", response.url, response.encoding, encoding)
            return response.replace(encoding=encoding)
        return response
