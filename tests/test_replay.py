"""A WACZ export replays in a real replay client, pages and their images: pywb, run as its users run it.

pywb pins an old redis client, so it lives in its own virtualenv, named by GOVARCHIVE_PYWB
(its bin/ folder; .ci/run makes it). Without it these tests skip, unless
GOVARCHIVE_REQUIRE_PYWB=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.warc import Pointer, read_capture
from tests.conftest import rows, run_cli
from tests.test_serve import free_port

PYWB = Path(os.environ.get("GOVARCHIVE_PYWB", "/opt/pywb/bin"))
if not (PYWB / "wayback").exists():
    if os.environ.get("GOVARCHIVE_REQUIRE_PYWB") == "1":
        raise RuntimeError(f"pywb is required in {PYWB}: python3 -m venv /opt/pywb && /opt/pywb/bin/pip install pywb")
    pytest.skip(f"no pywb in {PYWB} (see .ci/run)", allow_module_level=True)

STARTUP_SECONDS = 30


def replayed(root: str, url: str) -> tuple[int, bytes]:
    """The archived response for `url`, as pywb serves it unmodified (`id_`), once pywb is up."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{root}/articles/2000id_/{url}", timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_pywb_replays_an_exported_article_byte_for_byte(mirror_archive: Path, tmp_path: Path) -> None:
    wacz = tmp_path / "cdd.wacz"
    run_cli("export", "--format", "wacz", "-o", str(wacz), "--db", str(mirror_archive))
    replay = tmp_path / "replay"
    replay.mkdir()
    subprocess.run([PYWB / "wb-manager", "init", "articles"], cwd=replay, check=True, capture_output=True)
    subprocess.run(
        [PYWB / "wb-manager", "add", "--unpack-wacz", "articles", wacz], cwd=replay, check=True, capture_output=True
    )
    seed = "select final_url, warc_file, warc_offset, warc_length from article_versions where article_url like ?"
    url, *pointer = rows(mirror_archive, seed, ("%/news-017/",))[0]
    image = (
        "select t.url, t.warc_file, t.warc_offset, t.warc_length from attachments t "
        "join article_attachments l on l.attachment_url = t.url where l.article_url like ? and l.role = 'lead image'"
    )
    image_url, *image_pointer = rows(mirror_archive, image, ("%/news-017/",))[0]
    port = free_port()
    server = subprocess.Popen(
        [PYWB / "wayback", "-p", str(port), "-b", "127.0.0.1"],
        cwd=replay,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status, body = replayed(f"http://127.0.0.1:{port}", url)
        image_status, image_body = replayed(f"http://127.0.0.1:{port}", image_url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert status == 200
    assert body == read_capture(mirror_archive, Pointer(*pointer)).body
    assert (image_status, image_body) == (200, read_capture(mirror_archive, Pointer(*image_pointer)).body)
