"""Benchmarks (`make bench`): each module measures one thing and returns a Markdown section."""

import os
from pathlib import Path

# What make bench builds once and keeps for later runs (the 1,000,000-article search archive, the
# printed and scanned PDFs); each run's own crawls and archives go to temporary folders, removed.
CACHE = Path(os.environ.get("BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))
