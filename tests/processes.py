"""A crawl's processes, read from /proc: its workers, whether they live, what memory they hold."""

from __future__ import annotations

import threading
from pathlib import Path


def direct_children(pid: int) -> set[int]:
    try:
        return {int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()}
    except OSError:  # the process has ended
        return set()


def descendants(pid: int) -> set[int]:
    found, stack = set(), [pid]
    while stack:
        kids = direct_children(stack.pop())
        found |= kids
        stack.extend(kids)
    return found


def named(pid: int) -> str:
    """The name a process gave itself (crawler.workers.name_process); "" once it has ended."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def rss_bytes(pid: int) -> int:
    """Resident memory of one process; 0 once it has ended."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1]) * 1024


class PeakMemory:
    """Samples the summed resident memory of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, sum(map(rss_bytes, {self.pid} | descendants(self.pid))))

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


def in_terminal(command: list[str], env: dict[str, str], columns: int = 160, timeout: float = 120) -> str:
    """Run `command` on a pseudo-terminal of `columns` columns, as a person at a terminal runs
    it; returns all it wrote (stdout and stderr share the terminal), bar redraws included."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        os.execve(command[0], command, env)
    output, deadline = bytearray(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child has closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    return output.decode("utf-8", "replace")
