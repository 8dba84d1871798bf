"""A real redis-server on 127.0.0.1 at a free port, for the tests and benchmarks of shared crawls."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

START_SECONDS = 10


class NoRedisServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One server, which a test may kill and start again on the same port and folder.

    `journal`: every write is in the append-only file before it is answered
    (`appendfsync always`), so a killed server starts again with all of it. `tls`: served
    only over TLS, with a certificate for 127.0.0.1 made here by openssl."""

    def __init__(self, folder: Path, password: str = "", journal: bool = False, tls: bool = False) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise NoRedisServerError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.folder, self.port, self.password, self.tls = folder, free_port(), password, tls
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if journal else ["--appendonly", "no"]
        self.command = [executable, "--bind", "127.0.0.1", "--save", "", *persistence, "--dir", str(folder)]
        self.command += ["--requirepass", password] if password else []
        self.command += self._tls_options() if tls else ["--port", str(self.port)]
        self.process: subprocess.Popen[bytes] | None = None

    def _tls_options(self) -> list[str]:
        key, cert = self.folder / "redis.key", self.folder / "redis.crt"
        request = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        names = ["-addext", "subjectAltName=IP:127.0.0.1"]
        files = ["-keyout", str(key), "-out", str(cert)]
        subprocess.run(["openssl", "req", *request, *names, *files], check=True, capture_output=True)
        served = ["--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert)]
        return ["--port", "0", "--tls-port", str(self.port), *served, "--tls-auth-clients", "no"]

    @property
    def url(self) -> str:
        secret = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{secret}127.0.0.1:{self.port}/0?ssl_ca_certs={self.folder / 'redis.crt'}"
        return f"redis://{secret}127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        redis, deadline = Redis.from_url(self.url), time.monotonic() + START_SECONDS
        while True:
            try:
                redis.ping()
                return self.url
            except RedisConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.process is not None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def running_redis(folder: Path, password: str = "") -> Iterator[str]:
    """Yields the server's URL (with the password, when it requires one); no persistence."""
    server = RedisServer(folder, password)
    try:
        yield server.start()
    finally:
        server.stop()
