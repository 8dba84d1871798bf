"""End-to-end crawl rate, beside a bare crawl and the naive in-process pipeline; extraction,
write, export and re-extraction rates; peak memory. All on a synthetic site served by a
separate process from 127.0.0.1, every figure measured in this run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archive.db import open_archive
from archive.store import ArchiveWriter
from bench.extraction_rates import EXTRACTION_SAMPLE, ExtractionRates, measure_extraction, two_core_bound
from bench.processes import Run, fastest, timed
from bench.synthetic import build
from crawler import settings
from crawler.workers import WORKER_NAME
from crawler.writer_process import WRITER_NAME

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "2000,10000").split(","))
# Ours with extraction in-process is context, not a target: run only up to this N
# (BENCH_INPROCESS_MAX=2000 adds ~40 s; by default the naive crawls at both sizes use the time).
INPROCESS_MAX = int(os.environ.get("BENCH_INPROCESS_MAX", "0"))
# Crawls of N up to BENCH_REPEAT_MAX run BENCH_CRAWL_ROUNDS times, each round in the reverse
# order of the one before, and each one's fastest run counts, as the floor's extraction and
# write are the best of their rounds: on a shared host one run can be slowed by a third (one
# crawl a size read 1.29-1.51x the floor on fast hours of one day). Each round adds ~45 s: two
# keep `make bench` within its 10 minutes on a quiet hour (BENCH_CRAWL_ROUNDS=3 for a third).
CRAWL_ROUNDS = int(os.environ.get("BENCH_CRAWL_ROUNDS", "2"))
REPEAT_MAX = int(os.environ.get("BENCH_REPEAT_MAX", "2000"))
TARGET_SHARE_OF_BOUND = 0.85
TARGET_OVER_NAIVE = 1.7
TARGET_CPU_OVER_FLOOR = 1.3  # issue 22: CPU per archived article against the floor
TARGET_MAIN_CPU_MS = 4.0  # issue 22: the crawl's main process, per archived article
GOVARCHIVE = Path(sys.executable).parent / "govarchive"
COMMIT_GROUP = settings.GOVARCHIVE_COMMIT_MAX_WRITES
WRITE_SAMPLE = 1000  # articles of the N=2,000 crawl written again for the write rates
WRITE_ROUNDS = 3  # the floor's write is the fastest of these: one round moved 2.0-2.7 ms a write between runs


@contextmanager
def served(folder: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mirror", "--site", str(folder), "--port", "0", "--prerender"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait()


# Article pages only, as the bare crawl fetches them: each synthetic article's lead image would
# double the requests (its cost is measured apart: images_line).
PAGES_ONLY = {"GOVARCHIVE_ATTACHMENTS": ""}


def crawl(base_url: str, db: Path, workers: str, env: dict[str, str] = PAGES_ONLY) -> Run:
    command = [str(GOVARCHIVE), "crawl", "--url", base_url, "--routes", "sitemap", "--db", str(db)]
    return timed(command, {"GOVARCHIVE_EXTRACT_WORKERS": workers, "GOVARCHIVE_LOG_LEVEL": "WARNING", **env})


def archive_path(scratch: Path, kind: str, size: int, round_: int = 0) -> Path:
    """A folder per crawl: each run starts with no archive, WARC files or HTTP cache."""
    return scratch / f"{kind}-{size}-{round_}" / "archive.db"


def crawl_once(kind: str, base_url: str, scratch: Path, size: int, round_: int) -> Run:
    """bare: (a); naive: (b), bench/naive_crawl.py; inprocess: ours with extraction on the
    reactor (GOVARCHIVE_EXTRACT_WORKERS=0) but writes on their thread; pool: ours."""
    db = archive_path(scratch, kind, size, round_)
    if kind == "bare":
        return timed([sys.executable, "-m", "bench.bare_crawl", base_url])
    if kind == "naive":
        return timed([sys.executable, "-m", "bench.naive_crawl", base_url, str(db)], PAGES_ONLY)
    return crawl(base_url, db, "0" if kind == "inprocess" else "auto")


def crawl_rounds(base_url: str, scratch: Path, size: int) -> dict[str, Run]:
    kinds = ["bare", "naive", "inprocess", "pool"] if size <= INPROCESS_MAX else ["bare", "naive", "pool"]
    rounds = CRAWL_ROUNDS if size <= REPEAT_MAX else 1
    runs: dict[str, list[Run]] = {kind: [] for kind in kinds}
    for round_ in range(rounds):
        for kind in kinds if round_ % 2 == 0 else reversed(kinds):
            runs[kind].append(crawl_once(kind, base_url, scratch, size, round_))
    return {kind: fastest(times) for kind, times in runs.items()}


def article_records(db: Path) -> list[dict[str, Any]]:
    """What a crawl hands the writer, read back from a crawled archive."""
    keep = "url, site, agency, title, body, published, language, source_url, http_status, extractor"
    return [dict(row) for row in open_archive(db).query(f"select {keep} from articles")]


def write_rate(records: list[dict[str, Any]], group: int) -> float:
    """Articles/s written with versions and the trigram index maintained, `group` writes per
    transaction (the crawl commits up to GOVARCHIVE_COMMIT_MAX_WRITES at once)."""
    with tempfile.TemporaryDirectory() as folder:
        writer = ArchiveWriter(open_archive(Path(folder) / "w.db"))
        started = time.perf_counter()
        for start in range(0, len(records), group):
            with writer.db.atomic():
                for record in records[start : start + group]:
                    writer.write_article(record)
        return len(records) / (time.perf_counter() - started)


def crawl_figures(scratch: Path) -> tuple[dict[int, dict[str, Run]], ExtractionRates]:
    figures: dict[int, dict[str, Run]] = {}
    rates = ExtractionRates()
    for size in SIZES:
        folder = build(scratch / f"site-{size}", size)
        measure_extraction(folder, rates, size)  # before each size's crawls: the best round counts
        with served(folder) as base_url:
            figures[size] = runs = crawl_rounds(base_url, scratch, size)
            # The cron case: the same site again, nothing changed (conditional requests, 304s).
            runs["recrawl"] = crawl(base_url, archive_path(scratch, "pool", size), "auto")
            if size == SIZES[0]:  # the default crawl: each article's lead image too
                runs["images"] = crawl(base_url, archive_path(scratch, "images", size), "auto", {})
        print(f"bench: N={size}: " + ", ".join(f"{k} {r.rate(size):.1f}/s" for k, r in runs.items()), flush=True)
    return figures, rates


def crawl_table(figures: dict[int, dict[str, Run]], rates: ExtractionRates) -> list[str]:
    lines = [
        "| N | bare crawl (a) | naive pipeline (b) | ours, extraction in-process | ours | ours / naive "
        "| ours / in-process | bound (a + trafilatura.extract()) | ours / bound | bound (a + our extraction) "
        "| ours / that bound | peak RSS naive | peak RSS ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, runs in figures.items():
        bare, ours = runs["bare"].rate(size), runs["pool"].rate(size)
        bound, strict = two_core_bound(bare, rates.trafilatura), two_core_bound(bare, rates.ours)
        naive = runs["naive"].rate(size)
        inprocess = runs["inprocess"].rate(size) if "inprocess" in runs else None
        inprocess_rate, over_inprocess = (
            (f"{inprocess:.1f}/s", f"{ours / inprocess:.2f}x") if inprocess else ("not run (BENCH_INPROCESS_MAX)", "-")
        )
        lines.append(
            f"| {size:,} | {bare:.0f}/s | {naive:.1f}/s | {inprocess_rate} | **{ours:.1f}/s** | {ours / naive:.2f}x "
            f"| {over_inprocess} | {bound:.1f}/s | **{ours / bound:.0%}** | {strict:.1f}/s | {ours / strict:.0%} "
            f"| {runs['naive'].peak_rss_mb:.0f} MB | {runs['pool'].peak_rss_mb:.0f} MB |"
        )
    return lines


def crawl_targets(figures: dict[int, dict[str, Run]], rates: ExtractionRates) -> list[str]:
    targets = []
    for size, runs in figures.items():
        ours = runs["pool"].rate(size)
        # Ours needs both vCPUs, the baselines one: a miss comes with how far they scaled then.
        why = f" (two processes extracting at once just before: {rates.scaling(size):.2f}x one; 2.00x on free cores)"
        share = ours / two_core_bound(runs["bare"].rate(size), rates.trafilatura)
        short = TARGET_SHARE_OF_BOUND - share
        verdict = "met" if short <= 0 else f"MISSED by {short:.1%} points{why}"
        targets.append(f"- N={size:,}: ours at {share:.1%} of the two-core bound (target 85%): {verdict}.")
        ratio = ours / runs["naive"].rate(size)
        # three decimals: 1.696x printed as 1.70x beside "MISSED" reads as a contradiction
        verdict = "met" if ratio >= TARGET_OVER_NAIVE else f"MISSED by {TARGET_OVER_NAIVE - ratio:.3f}x{why}"
        targets.append(f"- N={size:,}: ours {ratio:.3f}x the naive pipeline (target 1.7x): {verdict}.")
        if "inprocess" in runs:
            stronger = ours / runs["inprocess"].rate(size)
            targets.append(
                f"- N={size:,}: ours {stronger:.2f}x ours with extraction in-process (not a target: that baseline "
                "already writes on a second thread, so its ceiling is below 2x)."
            )
    small, large = (figures[s]["pool"].peak_rss_mb for s in (SIZES[0], SIZES[-1]))
    growth = large / small - 1
    targets.append(
        f"- Peak memory (all processes) N={SIZES[0]:,} -> {SIZES[-1]:,}: {small:.0f} -> {large:.0f} MB, "
        f"{growth:+.0%} (target within 20%): {'met' if abs(growth) <= 0.2 else 'MISSED'}."
    )
    return targets


def cpu_lines(figures: dict[int, dict[str, Run]], rates: ExtractionRates, writes_per_second: float) -> list[str]:
    """CPU time per archived article, which a shared host moves far less than wall time (issue 22),
    each kind of process apart beside the part of the floor it stands for."""
    extraction, write = 1000 / rates.ours, 1000 / writes_per_second
    lines = [
        "CPU per archived article, ms (all processes of the crawl; ours split into its main process, the "
        "extraction workers and the archive writer, by the names they give themselves; the forkserver is in the "
        "total). The floor is the bare crawl's CPU + our extraction alone on one core "
        f"({extraction:.1f}) + one indexed write in a group ({write:.1f}), each measured in this run:",
        "",
        "| N | bare crawl | naive pipeline | ours: all | ours: main process | ours: extraction workers "
        "| ours: archive writer | floor | ours / floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    targets = []
    for size, runs in figures.items():
        bare = runs["bare"].cpu_ms(size)[0]
        floor = bare + extraction + write
        total, main, _ = runs["pool"].cpu_ms(size)
        workers, writer = (runs["pool"].named_cpu_ms(name, size) for name in (WORKER_NAME, WRITER_NAME))
        lines.append(
            f"| {size:,} | {bare:.1f} | {runs['naive'].cpu_ms(size)[0]:.1f} | **{total:.1f}** | {main:.1f} "
            f"| {workers:.1f} | {writer:.1f} | {floor:.1f} | {total / floor:.2f}x{spread(runs['pool'], size, floor)} |"
        )
        over, heavy = total / floor > TARGET_CPU_OVER_FLOOR, main > TARGET_MAIN_CPU_MS
        targets.append(
            f"- N={size:,}: ours {total / floor:.2f}x the floor (target <= {TARGET_CPU_OVER_FLOOR}x): "
            f"{'MISSED' if over else 'met'}; main process {main:.1f} ms an article (target <= "
            f"{TARGET_MAIN_CPU_MS:.0f} ms): {'MISSED' if heavy else 'met'}."
        )
    recrawls = [
        f"N={size:,}: {total:.2f} ms (main process {main:.2f}), {runs['recrawl'].rate(size):.0f} articles/s"
        for size, runs in figures.items()
        for total, main, _ in [runs["recrawl"].cpu_ms(size)]
    ]
    lines += [
        "",
        "The same for a re-crawl where nothing changed (every article known and answered 304: the cron case), "
        "per known article: " + "; ".join(recrawls) + ".",
    ]
    lines += ["", shared_cores_line(figures, rates, write)]
    context = "; ".join(
        f"N={size:,}: two processes extracting at once {rates.scaling(size):.2f}x one, 1-minute load average "
        f"{rates.load_before[size]:.2f} on {os.cpu_count()} CPUs (our own extraction rounds included)"
        for size in figures
    )
    lines += ["", f"The host just before the crawls: {context}."]
    return [*lines, "", "CPU targets (issue 22):", *targets]


def spread(run: Run, size: int, floor: float) -> str:
    """The lowest and highest CPU against the floor of a crawl's repeated runs, if it was repeated."""
    if len(run.round_cpu) < 2:
        return ""
    ratios = [1000 * cpu / size / floor for cpu in run.round_cpu]
    return f" ({min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} runs)"


def shared_cores_line(figures: dict[int, dict[str, Run]], rates: ExtractionRates, write: float) -> str:
    """Beside the issue's floor, not instead of it: the floor with our extraction's CPU as two
    processes at once spend it, as the crawl's two workers run. Whether two processes pay more
    CPU a page than one alone (two vCPUs sharing a core's caches) is measured here, not assumed:
    the floor, timed on one process alone, would not count it."""
    parts = []
    for size, runs in figures.items():
        bare, total = runs["bare"].cpu_ms(size)[0], runs["pool"].cpu_ms(size)[0]
        shared = 1000 * rates.two_at_once_cpu[size]
        parts.append(
            f"N={size:,}: {shared:.1f} ms a page (alone {1000 / rates.ours:.1f}), that floor "
            f"{bare + shared + write:.1f} ms, ours {total / (bare + shared + write):.2f}x it"
        )
    return (
        "Context, not a target: our extraction's CPU a page when two processes extract at once, as the "
        "crawl's two workers do, and the floor with it: " + "; ".join(parts) + "."
    )


def run() -> str:
    """The section, from a scratch folder removed at the end: a run's sites, archives and WARC
    files (the pipeline's: ~1.7 GB) filled the disk after a dozen runs."""
    with tempfile.TemporaryDirectory(prefix="govarchive-bench-") as scratch:
        return report(Path(scratch))


def report(scratch: Path) -> str:
    figures, rates = crawl_figures(scratch)
    archives = {size: archive_path(scratch, "pool", size) for size in SIZES}
    records = article_records(archives[SIZES[0]])[:WRITE_SAMPLE]
    cores = os.cpu_count() or 1
    one_by_one = write_rate(records, 1)
    grouped = max(write_rate(records, COMMIT_GROUP) for _ in range(WRITE_ROUNDS))
    lines = [
        "## Crawl pipeline",
        "",
        f"Synthetic site: 82-101 KB pages (Digiqole theme with a mega-menu), bodies of 2-6 KB, 70% Thai, "
        f"half the dates only in visible Thai. Crawls follow the sitemap; {cores} CPUs. Rates are article pages per "
        "second of wall time, process start included"
        + (
            f"; at N up to {REPEAT_MAX:,}, the fastest of {CRAWL_ROUNDS} runs of each crawl, rounds in "
            "alternating order. "
            if CRAWL_ROUNDS > 1
            else ", one run each. "
        )
        + "Ours = extraction in a pool of worker processes, archive writes committed in groups on their own "
        "thread, WARC captures, full-text index kept. The naive pipeline (b) is the issue's: the same "
        "pipelines, extraction and each write inside Scrapy's item pipeline on the reactor thread "
        "(bench/naive_crawl.py). Ours with extraction in-process is `GOVARCHIVE_EXTRACT_WORKERS=0`: "
        "no pool, writes still on their own thread.",
        "",
        f"Extraction on one core, {EXTRACTION_SAMPLE} pages, best of {rates.rounds} alternating rounds "
        "(timed before each crawl size): "
        f"`trafilatura.extract()` {rates.trafilatura:.1f} "
        f"pages/s; ours (trafilatura + our metadata and cleanup) **{rates.ours:.1f} pages/s** "
        f"({rates.ours / rates.trafilatura:.2f}x); `trafilatura.extract()` rounds ranged over "
        f"{rates.trafilatura_spread()} pages/s, each a few seconds long, while a crawl lasts 5-180 s. "
        "Ours in two processes at once, timed just before each size's crawls: "
        + "; ".join(
            f"N={size:,}: {together:.1f} pages/s together, {rates.scaling(size):.2f}x one process"
            for size, together in rates.two_at_once.items()
        )
        + " (two free cores: 2.00x).",
        "",
        *crawl_table(figures, rates),
        "",
        "Two-core bound = 2 / (1/bare + 1/extraction): the rate if the bare crawl and extraction shared two "
        "cores perfectly, with nothing else to do. The issue's bound uses trafilatura's extraction rate; the "
        "stricter one uses ours.",
        "",
        "Targets (why a target is missed: docs/performance.md):",
        *crawl_targets(figures, rates),
        "",
        *cpu_lines(figures, rates, grouped),
        "",
        f"Archive writes ({len(records):,} articles into a new archive; versions + FTS5 trigram index kept by "
        "triggers): "
        f"{one_by_one:,.0f} articles/s one transaction per write, "
        f"**{grouped:,.0f} articles/s** in groups of {COMMIT_GROUP} as the crawl "
        f"commits them (the fastest of {WRITE_ROUNDS} rounds: the floor's write).",
        export_line(archives),
        reextract_line(archives[SIZES[0]]),
        images_line(figures),
    ]
    return "\n".join(lines) + "\n"


def export_line(archives: dict[int, Path]) -> str:
    runs = {}
    for size, db in archives.items():
        command = [str(GOVARCHIVE), "export", "--format", "jsonl", "-o", os.devnull, "--db", str(db)]
        runs[size] = timed(command)
    small, large = SIZES[0], SIZES[-1]
    return (
        f"Export (JSONL): {large:,} articles in {runs[large].seconds:.1f} s "
        f"({runs[large].rate(large):,.0f} articles/s), peak RSS {runs[large].peak_rss_mb:.0f} MB; "
        f"{small:,} articles: peak RSS {runs[small].peak_rss_mb:.0f} MB (streamed: memory does not grow with N)."
    )


def images_line(figures: dict[int, dict[str, Run]]) -> str:
    """What the default crawl adds: each article's lead image fetched, captured and kept."""
    size = SIZES[0]
    run = figures[size]["images"]
    total, main, _ = run.cpu_ms(size)
    pages_total, pages_main, _ = figures[size]["pool"].cpu_ms(size)
    return (
        f"With attachments on (the default; the crawls above keep article pages only): {size:,} articles and "
        f"their {size:,} lead images at {run.rate(size):.1f} articles/s, CPU {total:.1f} ms an article (main "
        f"process {main:.1f}) against {pages_total:.1f} ({pages_main:.1f}) without the images."
    )


def reextract_line(db: Path) -> str:
    run = timed([str(GOVARCHIVE), "reextract", "--db", str(db)], {"GOVARCHIVE_EXTRACT_WORKERS": "auto"})
    total, main, _ = run.cpu_ms(SIZES[0])
    return (
        f"Re-extraction from WARC ({os.cpu_count()} worker processes): {SIZES[0]:,} versions in "
        f"{run.seconds:.0f} s ({run.rate(SIZES[0]):.1f}/s), CPU {total:.1f} ms a version (main process {main:.1f})."
    )


if __name__ == "__main__":
    print(run())
