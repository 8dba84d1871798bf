"""Bytes of a saved page -> text, the way Scrapy decodes responses (w3lib)."""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Header charset, then BOM and <meta charset>, then detection; Thai legacy pages included."""
    _, text = html_to_unicode(content_type, body)
    return text
