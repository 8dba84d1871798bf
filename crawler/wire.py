"""What crosses Redis between crawl workers and the archive writer, and how it is encoded.

Never pickle: a Redis server is shared, and whoever can write to it could make a pickle run
code in every worker. Everything is JSON, with bytes (request bodies and headers, a page's
WARC record) carried as base64 under one tagged key, so a message decodes to plain data or
not at all. The module has `dumps` and `loads`, so scrapy-redis takes it as its
SCHEDULER_SERIALIZER for the requests of the shared frontier.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from crawler.items import Article, Attachment, AttachmentFailed, AttachmentUnchanged, NotArchived, NotModified

BYTES_TAG = "$bytes"
RESULT, CAPTURE = "result", "capture"  # a result's stream fields
Result = Article | NotArchived | NotModified | Attachment | AttachmentUnchanged | AttachmentFailed
RESULT_TYPES: dict[str, type[Result]] = {
    "article": Article,
    "not_archived": NotArchived,
    "not_modified": NotModified,
    "attachment": Attachment,
    "attachment_unchanged": AttachmentUnchanged,
    "attachment_failed": AttachmentFailed,
}


class WireError(ValueError):
    """A message that is not one of ours: recorded and skipped, never run."""


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {BYTES_TAG: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k if not isinstance(k, bytes) else k.decode("latin-1")): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {BYTES_TAG}:
            return base64.b64decode(value[BYTES_TAG])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: Any) -> bytes:
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    try:
        return _decode(json.loads(data))
    except (ValueError, TypeError) as error:
        raise WireError(f"not a govarchive message: {error}") from error


def encode_result(result: Result) -> dict[str, bytes]:
    """One outcome of a page as the fields of a stream entry: the result as JSON, and the page's
    WARC record (already gzipped) as raw bytes in a field of its own, not inflated by base64."""
    kind = next(name for name, cls in RESULT_TYPES.items() if isinstance(result, cls))
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != CAPTURE}
    entry = {RESULT: dumps({"type": kind, "fields": fields})}
    capture = getattr(result, CAPTURE, None)
    if capture is not None:
        entry[CAPTURE] = capture
    return entry


def decode_result(entry: dict[bytes, bytes]) -> Result:
    try:
        message = loads(entry[RESULT.encode()])
        result = RESULT_TYPES[message["type"]](**message["fields"])
    except (KeyError, TypeError) as error:
        raise WireError(f"not a govarchive result: {error}") from error
    if CAPTURE.encode() in entry:
        result.capture = entry[CAPTURE.encode()]  # type: ignore[union-attr]
    return result


def entry_bytes(entry: dict[bytes, bytes] | dict[str, bytes]) -> int:
    """What a stream entry holds, for the bound on results waiting for the writer."""
    return sum(len(value) for value in entry.values())
