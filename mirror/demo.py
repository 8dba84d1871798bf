"""`make demo`: serve the bundled mirror, crawl it with the real CLI, show what was archived."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from mirror.server import serving
from mirror.site import MirrorSite

DEMO_QUERY = "รางวัลเลิศรัฐ"


def govarchive(*args: str) -> None:
    """Run the installed command, as a user would."""
    command = [shutil.which("govarchive") or os.path.join(os.path.dirname(sys.executable), "govarchive"), *args]
    print("\n$ govarchive " + " ".join(args), flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m mirror.demo", description=__doc__)
    parser.add_argument("--db", default="data/demo.db", help="archive file to write")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8765")))
    args = parser.parse_args()
    try:
        context = serving(MirrorSite("cdd-mirror"), args.port)
        base_url = context.__enter__()
    except OSError as error:
        sys.exit(f"port {args.port} is busy ({error}); run with DEMO_PORT=<free port> make demo")
    try:
        print(f"offline mirror of a CDD-style news site at {base_url}", flush=True)
        govarchive("crawl", "--url", base_url, "--agency", "กรมการพัฒนาชุมชน (mirror)", "--db", args.db)
        govarchive("stats", "--db", args.db)
        govarchive("search", DEMO_QUERY, "--limit", "3", "--db", args.db)
    finally:
        context.__exit__(None, None, None)
    print(f"\nThe archive is {args.db}. Browse it with:  .venv/bin/govarchive serve --db {args.db}")


if __name__ == "__main__":
    main()
