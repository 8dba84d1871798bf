"""`make bench`: run every benchmark and write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import pdf_text, pipeline, scaling, score_extraction, search_scale, thai_ranking, thai_search

BENCHMARKS: dict[str, Callable[[], str]] = {
    "pipeline": pipeline.run,
    "scaling": scaling.run,
    "extraction_quality": score_extraction.run,
    "search_scale": search_scale.run,
    "thai_search": thai_search.run,
    "thai_ranking": thai_ranking.run,
    "pdf_text": pdf_text.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    sections = []
    began = time.perf_counter()
    for name in args.only or BENCHMARKS:
        started = time.perf_counter()
        print(f"bench: {name} ...", flush=True)
        sections.append(BENCHMARKS[name]())
        print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}. Ratios are against baselines measured in the same run. "
        f"This run took {(time.perf_counter() - began) / 60:.1f} minutes (target: under 10).\n\n"
    )
    args.out.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"bench: wrote {args.out}")


if __name__ == "__main__":
    main()
