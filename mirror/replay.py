"""Serve a recorded site (tests/files/SITE/) from 127.0.0.1, as the site served it.

Links in the recorded bodies point at the real site; they are rewritten to the local
origin so the site's spider stays on the replay. Unrecorded URLs answer 404.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from crawler.recording import Recording


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def make_handler(folder: Path, recording: Recording) -> type[BaseHTTPRequestHandler]:
    by_target = {_target(r.url): r for r in recording.responses}
    origins = {recording.origin(), recording.origin().replace("https://", "http://")}
    for response in recording.responses:  # redirects may have crossed to www. or https
        parts = urlsplit(response.url)
        origins.add(f"{parts.scheme}://{parts.netloc}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            local = f"http://{self.headers.get('Host', '127.0.0.1')}"
            recorded = by_target.get(self.path)
            if recorded is None:
                body, status, headers = b"not recorded", 404, [("Content-Type", "text/plain")]
            else:
                body = (folder / recorded.body_file).read_bytes()
                for origin in sorted(origins, key=len, reverse=True):
                    body = body.replace(origin.encode(), local.encode())
                    body = body.replace(origin.replace("/", "\\/").encode(), local.replace("/", "\\/").encode())
                status, headers = recorded.status, recorded.headers
            self.send_response(status)
            for name, value in headers:
                if name.lower() != "location":
                    self.send_header(name, value)
                else:
                    self.send_header(name, value.replace(recording.origin(), local))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def replaying(folder: Path) -> Iterator[str]:
    """Serve the recording in `folder`; yields the local base URL (same path as recorded)."""
    recording = Recording.load(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(folder, recording))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        path = urlsplit(recording.base_url).path or "/"
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
