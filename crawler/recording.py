"""Recorded fixtures: real responses of a site saved under tests/files/SITE/, replayed offline.

`govarchive record SITE` crawls a few pages of the site with the site's own spider and
this module's RecorderMiddleware, which saves every response (status, headers, body).
Tests replay the folder from 127.0.0.1 (mirror/replay.py), rewriting the site's origin to
the local one, so the site's spider runs against what the site really served.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from archive.warc import TRANSFER_HEADERS
from crawler.items import headers_of

MANIFEST = "manifest.json"
BODIES = "responses"
NOT_RECORDED = TRANSFER_HEADERS | {"set-cookie"}  # the body is stored decoded; no session of ours kept


@dataclass
class RecordedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body_file: str  # relative to the recording folder


@dataclass
class Recording:
    site: str
    base_url: str
    recorded_at: str
    responses: list[RecordedResponse] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> Recording:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
        responses = [
            RecordedResponse(**{**r, "headers": [tuple(h) for h in r["headers"]]}) for r in data.pop("responses")
        ]
        return cls(**data, responses=responses)

    def save(self, folder: Path) -> None:
        text = json.dumps(asdict(self), ensure_ascii=False, indent=1)
        (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")

    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


def has_recording(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


class RecorderMiddleware:
    """Saves every response of the crawl to GOVARCHIVE_RECORD_DIR (when that setting is set)."""

    def __init__(self, crawler: Crawler, folder: Path) -> None:
        self.crawler = crawler
        self.folder = folder
        self.lock = threading.Lock()
        self.recording: Recording | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecorderMiddleware:
        folder = crawler.settings.get("GOVARCHIVE_RECORD_DIR")
        middleware = cls(crawler, Path(folder) if folder else Path())
        if folder:
            crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: object) -> None:
        (self.folder / BODIES).mkdir(parents=True, exist_ok=True)
        site = getattr(spider, "site_id", "site")
        recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.recording = Recording(site, getattr(spider, "base_url", ""), recorded_at)

    def spider_closed(self, spider: object) -> None:
        if self.recording is not None:
            self.recording.responses.sort(key=lambda r: r.url)
            self.recording.save(self.folder)

    def process_response(self, request: Request, response: Response) -> Response:
        if self.recording is None:
            return response
        with self.lock:
            name = f"{BODIES}/{len(self.recording.responses):04d}.bin"
            (self.folder / name).write_bytes(response.body)
            headers = [(k, v) for k, v in headers_of(response) if k.lower() not in NOT_RECORDED]
            self.recording.responses.append(RecordedResponse(request.url, response.status, headers, name))
        return response
