"""Extraction on one core, ours beside trafilatura.extract(), and ours in two processes at
once: the baselines the crawl figures (bench/pipeline.py) are set against, measured in the
same run just before each size's crawls.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from crawler.extract import extract
from crawler.spiders.cms import UrlNewsSpider
from mirror.site import MirrorSite

EXTRACTION_SAMPLE = 100
EXTRACTION_ROUNDS = 2  # per crawl size
RULES = UrlNewsSpider.rules()  # what `crawl --url` extracts with


def sample_pages(folder: Path) -> list[str]:
    site = MirrorSite(folder)
    return [site.render(path, "http://127.0.0.1:1/").body.decode() for path in list(site.by_path)[:EXTRACTION_SAMPLE]]


def seconds_to_extract(pages: list[str], extractor: Callable[[str], object]) -> float:
    started = time.perf_counter()
    for html in pages:
        extractor(html)
    return time.perf_counter() - started


def ours(html: str) -> object:
    return extract(html, "http://127.0.0.1:1/x/", RULES)


def seconds_to_extract_ours(pages: list[str]) -> tuple[float, float]:
    """Run in each of two processes at once: (wall seconds, CPU seconds of this process)."""
    cpu = time.process_time()
    wall = seconds_to_extract(pages, ours)
    return wall, time.process_time() - cpu


@dataclass
class ExtractionRates:
    """Single-core rates are the best round seen: a round slowed by a noisy neighbour would
    lower the two-core bound and flatter the pipeline."""

    ours_rounds: list[float] = field(default_factory=list)  # seconds per round of the sample
    trafilatura_rounds: list[float] = field(default_factory=list)
    # N -> two processes extracting at the same time, pages/s together, timed before N's crawls
    two_at_once: dict[int, float] = field(default_factory=dict)
    # N -> CPU seconds a page took each of those two processes: what a crawl's two workers pay
    two_at_once_cpu: dict[int, float] = field(default_factory=dict)
    # N -> the host's 1-minute load average just before N's crawls (other processes' demand)
    load_before: dict[int, float] = field(default_factory=dict)

    @property
    def ours(self) -> float:
        return EXTRACTION_SAMPLE / min(self.ours_rounds)

    @property
    def trafilatura(self) -> float:
        return EXTRACTION_SAMPLE / min(self.trafilatura_rounds)

    @property
    def rounds(self) -> int:
        return len(self.ours_rounds)

    def scaling(self, size: int) -> float:
        """How far the host's two vCPUs scaled just before the crawls of N (2.00x: fully)."""
        return self.two_at_once[size] / self.ours

    def trafilatura_spread(self) -> str:
        """Slowest and fastest round: how much this host's speed moved within the run."""
        slowest, quickest = max(self.trafilatura_rounds), min(self.trafilatura_rounds)
        return f"{EXTRACTION_SAMPLE / slowest:.1f}-{EXTRACTION_SAMPLE / quickest:.1f}"


def measure_extraction(folder: Path, rates: ExtractionRates, size: int) -> None:
    """Ours and trafilatura.extract() on one core in alternating rounds; then ours in two
    processes at once, which shows how far this machine's two cores scale just now."""
    pages = sample_pages(folder)
    for _ in range(EXTRACTION_ROUNDS):
        rates.ours_rounds.append(seconds_to_extract(pages, ours))
        rates.trafilatura_rounds.append(seconds_to_extract(pages, trafilatura.extract))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(len, [[], []]))  # both workers have imported trafilatura before timing
        timings = list(pool.map(seconds_to_extract_ours, [pages, pages]))
    rates.two_at_once[size] = 2 * len(pages) / max(wall for wall, _ in timings)
    rates.two_at_once_cpu[size] = sum(cpu for _, cpu in timings) / (2 * len(pages))
    rates.load_before[size] = os.getloadavg()[0]


def two_core_bound(bare: float, extraction: float) -> float:
    """The rate if crawling and extraction shared two cores perfectly."""
    return 2 / (1 / bare + 1 / extraction)
