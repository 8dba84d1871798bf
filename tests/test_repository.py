"""The repository itself: what a clone carries."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent
MAX_TRACKED_BYTES = 1_000_000  # anything bigger is generated or binary and belongs outside git
FIXTURES = "tests/files/"


def tracked_files() -> list[Path]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listing.decode().split("\0") if name]


def test_the_checkout_is_listed() -> None:
    assert len(tracked_files()) > 50  # the check below means nothing on an empty listing


def test_no_tracked_file_over_a_megabyte_outside_the_fixtures() -> None:
    big = [
        str(path.relative_to(ROOT))
        for path in tracked_files()
        if path.exists()
        and path.stat().st_size > MAX_TRACKED_BYTES
        and not str(path.relative_to(ROOT)).startswith(FIXTURES)
    ]
    assert big == []
