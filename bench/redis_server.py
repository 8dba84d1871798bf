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


@contextlib.contextmanager
def running_redis(folder: Path, password: str = "") -> Iterator[str]:
    """Yields the server's URL (with the password, when it requires one); no persistence."""
    server = shutil.which("redis-server")
    if server is None:
        raise NoRedisServerError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if password:
        command += ["--requirepass", password]
    process = subprocess.Popen([*command, "--dir", str(folder)], stdout=subprocess.DEVNULL)
    redis, deadline = Redis(port=port, password=password or None), time.monotonic() + START_SECONDS
    while True:
        try:
            redis.ping()
            break
        except RedisConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    try:
        yield f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
