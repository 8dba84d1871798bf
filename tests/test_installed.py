"""govarchive as a user installs it: the wheel in a fresh virtualenv, run outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
import venv
from pathlib import Path

import pytest
from uv import find_uv_bin

from mirror.server import serving
from mirror.site import MirrorSite
from tests.test_repository import build_wheel
from tests.test_serve import get_json, start_datasette


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `govarchive` command of a fresh virtualenv holding only the wheel and its dependencies,
    installed by uv (`uv pip install`: the same files as pip; this fixture takes 11 s, pip's install
    alone took 35)."""
    folder = tmp_path_factory.mktemp("installed")
    wheel = build_wheel(folder)
    venv.create(folder / "venv")
    python = folder / "venv" / "bin" / "python"
    install = [find_uv_bin(), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), str(wheel)]
    result = subprocess.run(install, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder / "venv" / "bin" / "govarchive"


def run(govarchive: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Outside the checkout: nothing of it on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"GOVARCHIVE_PROGRESS_INTERVAL": "0"}
    return subprocess.run([str(govarchive), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_the_installed_command_crawls_searches_and_serves(installed: Path, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with serving(MirrorSite("cdd-mirror")) as base_url:
        crawled = run(installed, "crawl", "--url", base_url, "--db", str(db), cwd=tmp_path)
    assert crawled.returncode == 0 and "23 new" in crawled.stdout, crawled.stdout + crawled.stderr
    assert "รางวัลเลิศรัฐ" in run(installed, "search", "รางวัลเลิศรัฐ", "--db", str(db), cwd=tmp_path).stdout
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with start_datasette(db, command=[str(installed)], env=env, cwd=tmp_path) as root:
        metadata = get_json(f"{root}/-/metadata.json")
        with urllib.request.urlopen(f"{root}/archive/-/search?q=" + urllib.parse.quote("เลิศรัฐ"), timeout=10) as page:
            html = page.read().decode("utf-8")
        with urllib.request.urlopen(f"{root}/static-govarchive/govarchive.js", timeout=10) as script:
            assert b"foldColumnDescriptions" in script.read()
    assert metadata["title"] == "govarchive"  # the project's configuration, from package data
    assert "url" in metadata["databases"]["archive"]["tables"]["articles"]["columns"]
    assert "page as captured" in html and "<mark>เลิศรัฐ</mark>" in html  # the plugin, from package data


def test_every_command_of_the_installed_copy_runs(installed: Path, tmp_path: Path) -> None:
    from govarchive.cli import cli

    for command in cli.commands:
        helped = run(installed, command, "--help", cwd=tmp_path)
        assert helped.returncode == 0 and "Usage: govarchive" in helped.stdout, command
    doctor = json.loads(run(installed, "doctor", "--json", "--db", str(tmp_path / "none.db"), cwd=tmp_path).stdout)
    assert doctor["missing"] == [] and doctor["crawl"]["registered sites"] >= 19
    assert run(installed.parent / "python", "-m", "govarchive", "--version", cwd=tmp_path).returncode == 0


def test_the_installed_command_lists_the_sites_and_refuses_to_scaffold_outside_a_checkout(
    installed: Path, tmp_path: Path
) -> None:
    listed = run(installed, "sites", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert listed.returncode == 0 and "cdd" in listed.stdout
    scaffold = run(installed, "new-site", "demo", "https://www.example.go.th/", cwd=tmp_path)
    assert scaffold.returncode == 1 and "run it from one" in scaffold.stderr
    assert not any(installed.parent.parent.rglob("spiders/demo.py"))  # nothing written into site-packages


def test_the_installed_script_loads_the_command_line_only_when_run(installed: Path) -> None:
    """multiprocessing runs the script again, as `__mp_main__`, in every worker it starts (the
    extraction workers, the archive writer): reading it must not import the command line,
    which cost each worker 0.2 s of CPU."""
    python = installed.parent / "python"
    read_as_a_worker = (
        "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
        "print(sorted(m for m in sys.modules if m.startswith(('govarchive.', 'scrapy', 'crawler'))))"
    )
    result = subprocess.run([str(python), "-c", read_as_a_worker, str(installed)], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
