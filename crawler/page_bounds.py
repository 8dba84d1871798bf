"""What extracting one page may cost an extraction worker: CPU time and memory; and how much
text it may give the archive.

A news article takes a few milliseconds and a few MB. A bloated page takes far more:
trafilatura's text output takes time that grows with the square of a page's links (60,000
links: 4 s), and its trees take about a hundred times the page's size in memory (a 1.3 MB page
of links: 150 MB, kept by the heap after the page is done). A crawl downloads pages of up to
DOWNLOAD_MAXSIZE (32 MiB), so one such page could hold a worker for minutes and gigabytes.
Both bounds are settings (crawler/settings.py); a page past one is an `extraction` failure
naming it, and the worker goes on with the next page, having given back what the page took.
So is a page whose text is longer than an article's can be: a page of 10 MB of paragraphs
extracts in 2 s to 4 million characters, which the archive would store, index and version.

The CPU bound is a signal, which Python handles between bytecodes: a worker blocked or looping
in C code never sees it. So the crawl also waits at most WALL_PER_CPU_SECOND seconds for each
CPU second its pages were given, and WALL_GRACE_SECONDS more (crawler/workers.py), then stops
the worker and starts another.
"""

from __future__ import annotations

import contextlib
import ctypes
import resource
import signal
import threading
from collections.abc import Iterator
from functools import cache

CPU_SETTING = "GOVARCHIVE_EXTRACT_SECONDS"
MEMORY_SETTING = "GOVARCHIVE_EXTRACT_MEMORY"
TEXT_SETTING = "GOVARCHIVE_MAX_TEXT_CHARS"
GIVE_BACK_AFTER_BYTES = 2**20  # pages larger than this leave the heap grown: return it after them
# A worker shares its core with the crawl and another worker: its pages may take twice their CPU,
# and the trip's hand-offs (unpickling, the WARC records) a little more.
WALL_PER_CPU_SECOND = 2
WALL_GRACE_SECONDS = 2


class CpuBoundError(BaseException):
    """A page's extraction ran past its CPU bound. A BaseException, as KeyboardInterrupt is:
    the libraries' own `except Exception` must not swallow it."""


@contextlib.contextmanager
def cpu_bound(seconds: float) -> Iterator[None]:
    """Raise CpuBoundError once this process has spent `seconds` more of CPU, and again each
    second after. Armed only on a process's main thread (a worker's tasks run there) and for
    seconds > 0: a crawl that extracts in-process passes 0."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CpuBoundError

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def limit_memory(max_bytes: int) -> None:
    """In a worker, as it starts: its address space at most `max_bytes` (0: no limit). Past it,
    an allocation fails and Python raises MemoryError in the page that asked, which is then
    recorded; the worker itself lives on."""
    if max_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, resource.getrlimit(resource.RLIMIT_AS)[1]))


def give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim; elsewhere nothing): after
    a large page, a worker would otherwise keep its peak for the rest of the crawl."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None
