"""CONTRIBUTING.md, followed to the letter on a local WordPress site, in a copy of the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mirror.server import serving
from mirror.site import MirrorSite
from tests.conftest import GOVARCHIVE

REPO = Path(__file__).resolve().parent.parent
COPIED = ("govarchive", "crawler", "archive", "mirror", "tests", "pyproject.toml", "scrapy.cfg")


def copy_checkout(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "thaigov-text")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy(source, target / name)
    return target


def in_copy(copy: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run with the copy's code first on the path, as a developer's checkout would."""
    env = {**os.environ, "PYTHONPATH": str(copy), "GOVARCHIVE_PROGRESS_INTERVAL": "0"}
    return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)


def test_a_site_added_by_following_contributing_passes_the_uniform_test(tmp_path: Path) -> None:
    copy = copy_checkout(tmp_path / "checkout")
    pytest_command = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    with serving(MirrorSite("unseen-portal")) as base_url:
        # 1. Scaffold: the generated test fails until the module is filled in and recorded.
        scaffold = in_copy(copy, str(GOVARCHIVE), "new-site", "portal_demo", base_url, "--cms", "wordpress")
        assert scaffold.returncode == 0, scaffold.stderr
        module = copy / "crawler" / "spiders" / "portal_demo.py"
        failing = in_copy(copy, *pytest_command, "tests/test_site_portal_demo.py")
        assert failing.returncode == 1 and "2 failed" in failing.stdout, failing.stdout
        # 2. Declare.
        text = module.read_text()
        text = text.replace('agency = "TODO"', 'agency = "กระทรวงตัวอย่าง"').replace(
            'agency_en = "TODO"', 'agency_en = "Ministry of Examples"'
        )
        text = text.replace(
            '"TODO: CMS and theme seen, discovery routes that work"', '"WordPress, tagDiv theme; all routes"'
        )
        module.write_text(text)
        # 3. Record.
        recorded = in_copy(copy, str(GOVARCHIVE), "record", "portal_demo", "--pages", "5")
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    # 4. Test, offline (the site is gone): the site's own test and the uniform test pass.
    passing = in_copy(
        copy, *pytest_command, "tests/test_site_portal_demo.py", "tests/test_sites.py", "-k", "portal_demo"
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "3 passed" in passing.stdout  # the site's two tests, and the uniform test of its recording
    listed = in_copy(copy, str(GOVARCHIVE), "sites", "--db", str(tmp_path / "none.db"))
    assert "portal_demo\tกระทรวงตัวอย่าง\tMinistry of Examples" in listed.stdout
