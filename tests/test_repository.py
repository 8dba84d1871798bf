"""The repository itself: what a clone carries."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
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


def build_wheel(target: Path) -> Path:
    """The project's wheel, built from a copy (setuptools leaves build/ and *.egg-info where it builds)."""
    source = target / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "data", "test-artifacts", "__pycache__"))
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(target), str(source)]
    result = subprocess.run(build, capture_output=True, text=True, cwd=target)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = target.glob("govarchive-*.whl")
    return wheel


def test_the_wheel_holds_only_the_command_crawler_and_archive_with_the_datasette_files(tmp_path) -> None:
    names = zipfile.ZipFile(build_wheel(tmp_path)).namelist()
    packages = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert packages == {"govarchive", "crawler", "archive"}
    assert {"archive/datasette/metadata.yml", "archive/datasette/static/govarchive.css"} <= set(names)


def test_the_readme_layout_names_every_module() -> None:
    layout = (ROOT / "README.md").read_text("utf-8").split("## Layout")[1]
    modules = [
        path.relative_to(ROOT).as_posix()
        for package in ("govarchive", "crawler", "archive")
        for path in sorted((ROOT / package).glob("*.py"))
        if path.name != "__init__.py"
    ]
    assert len(modules) > 36
    assert [m for m in modules if m not in layout and m.split("/")[-1] not in layout] == []
