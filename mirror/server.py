"""Serve a mirror site from 127.0.0.1 (threaded, so a crawler never waits on it)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mirror.site import MirrorSite

log = logging.getLogger(__name__)


def make_handler(site: MirrorSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            root = f"http://{self.headers.get('Host', '127.0.0.1')}/"
            response = site.respond(self.path, root, self.headers.get("If-None-Match"))
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return Handler


def make_server(site: MirrorSite, port: int = 0) -> ThreadingHTTPServer:
    """Bind to 127.0.0.1 only; port 0 picks a free port."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(site))
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def serving(site: MirrorSite, port: int = 0) -> Iterator[str]:
    """Serve `site` in a background thread; yields its base URL."""
    server = make_server(site, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
