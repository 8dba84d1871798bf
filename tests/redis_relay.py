"""A TCP relay on 127.0.0.1 in front of a real redis-server that hangs up once, at the worst
moment: right after forwarding the first command that holds a given marker, before Redis's
answer comes back.

Redis has carried the command out; the client sees only its connection drop, as when Redis
is killed or a network fails between two steps. Later connections are served normally. For
tests/test_frontier.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

SETTLE_SECONDS = 0.2  # time for Redis to carry out the command before the line is cut


class HangUpRelay:
    def __init__(self, redis_url: str, marker: bytes) -> None:
        parts = urlsplit(redis_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.marker = marker
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.hung_up = threading.Event()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.upstream)
            withhold = threading.Event()  # set: no answer goes back on this connection
            threading.Thread(target=self.forward, args=(client, server, withhold), daemon=True).start()
            threading.Thread(target=self.answer, args=(server, client, withhold), daemon=True).start()

    def forward(self, client: socket.socket, server: socket.socket, withhold: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if self.marker in data and not self.hung_up.is_set():
                    withhold.set()
                    server.sendall(data)
                    time.sleep(SETTLE_SECONDS)
                    self.hung_up.set()
                    break
                server.sendall(data)
        for end in (client, server):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def answer(self, server: socket.socket, client: socket.socket, withhold: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while (data := server.recv(65536)) and not withhold.is_set():
                client.sendall(data)


@contextlib.contextmanager
def hanging_up_once(redis_url: str, marker: bytes) -> Iterator[HangUpRelay]:
    relay = HangUpRelay(redis_url, marker)
    thread = threading.Thread(target=relay.serve, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        with contextlib.suppress(OSError):
            relay.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in `serve`
        relay.listener.close()
        thread.join(timeout=5)
