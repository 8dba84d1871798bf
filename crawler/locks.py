"""One crawl per site and archive at a time, with locks that die with their process.

`flock` locks are released by the kernel when the holder exits, however it exits
(SIGKILL included), so a killed run never leaves a stale lock; the file only keeps the
last holder's PID for the message.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import TextIO


class AlreadyRunningError(RuntimeError):
    pass


def site_stem(db_path: str | Path, site: str) -> str:
    """A file name for one site's things beside one archive (its lock, its run's queue)."""
    return f"{Path(db_path).stem}.{re.sub(r'[^A-Za-z0-9._-]+', '_', site)}"


class SiteLock:
    def __init__(self, db_path: str | Path, site: str, what: str = "") -> None:
        folder = Path(db_path).resolve().parent / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{site_stem(db_path, site)}.lock"
        self.site = site
        self.what = what or f"a crawl of {site} into this archive"
        self.file: TextIO | None = None

    def acquire(self) -> None:
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise AlreadyRunningError(
                f"{self.what} is already running (pid {holder}); this one exits. Lock file: {self.path}"
            ) from None
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        self.file = file

    def release(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None
