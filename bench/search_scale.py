"""Search latency on large archives: p50/p95 of Thai and English queries at 100,000 and
1,000,000 articles.

Articles are generated from real Thai government paragraphs and English text and indexed
exactly as the archive indexes them (FTS5 trigram kept by triggers, via migrations), in
batches as a crawl commits them. Generation is not counted: a generated archive is kept in
BENCH_CACHE (default bench/.cache) and reused by later runs; building the 1,000,000-article
one takes about 15 minutes here, once.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from pathlib import Path

from archive.db import open_archive
from archive.search import RANKED_MATCHES, Filters, search
from bench import CACHE
from mirror.corpus import read_text
from mirror.site import SITES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "files" / "thaigov-text" / "text"
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SEARCH_SIZES", "100000,1000000").split(","))
GENERATOR_VERSION = 1  # bump when generate() changes, so cached archives are rebuilt
TARGET_P95_MS = 50
THAI_QUERIES = (
    "นายกรัฐมนตรี",
    "เศรษฐกิจ",
    "เกษตรกร",
    "ผู้สูงอายุ",
    "ทำเนียบรัฐบาล",
    "ยาเสพติด",
    "สาธารณสุข",
    "ภัยแล้ง",
    "ประชารัฐ",
    "ค้ามนุษย์",
    "โรงพยาบาล",
    "นวัตกรรม",
    "ไทยแลนด์ 4.0",
    "อาเซียน",
    "พลังงาน",
)
ENGLISH_QUERIES = ("health", "climate change", "tax", "safety", "nutrition", "village fund", "wheat", "mine")
# The other classes of issue 18's query language, at the largest size.
QUERY_CLASSES = {
    "phrases": ('"ผู้สูงอายุ"', '"climate change"', '"ไทยแลนด์ 4.0"', '"village fund"'),
    "operators": ("เกษตรกร OR ชาวนา", "health -tax", "นายก*", "ภัยแล้ง NOT น้ำท่วม", "safety OR nutrition"),
    # Two-character Thai words, common and rare (ฑู: ~1 in 1,000 articles), and an English pair.
    "short words": ("ยา", "ปี", "รถ", "ไฟ", "น้ำ", "ฑู", "tv"),
}
FILTERS = Filters(since="2015-01-01", until="2018-12-31", language=None)
HTTP_TARGET_P95_MS = 200
ROUNDS = 3
COMMIT_ROWS = 5000


def generate(db_path: Path, count: int) -> None:
    rng = random.Random(count)
    texts = [t for t in map(read_text, sorted(CORPUS.glob("*.txt"))) if t is not None]
    thai = [p for t in texts for p in t.paragraphs if 80 < len(p) < 900]
    mirror = json.loads((SITES / "cdd-mirror" / "articles.json").read_text("utf-8"))
    english = [p for a in mirror if a["lang"] == "en" for p in a["paragraphs"]]
    db = open_archive(db_path)
    rows = []
    for n in range(count):
        pool = english if n % 10 < 3 else thai
        body = "\n\n".join(rng.choice(pool) for _ in range(2))
        rows.append(
            {
                "url": f"https://example.go.th/{n}",
                "site": "synthetic",
                "title": body[:60],
                "body": body,
                "published": f"20{10 + n % 14}-01-01T00:00:00+07:00",
                "http_status": 200,
            }
        )
        if len(rows) == COMMIT_ROWS:
            db.table("articles").insert_all(rows)
            rows = []
    db.table("articles").insert_all(rows)
    db.close()


def cached_archive(count: int) -> tuple[Path, float | None]:
    """The generated archive of `count` articles, and its build time if built by this run."""
    path = CACHE / f"search-{count}-v{GENERATOR_VERSION}.db"
    if path.exists():
        return path, None
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    print(f"bench: generating a {count:,}-article archive in {CACHE} (once; kept for later runs)", flush=True)
    started = time.perf_counter()
    generate(partial, count)
    partial.rename(path)
    return path, time.perf_counter() - started


def latencies(db_path: Path, queries: tuple[str, ...], filters: Filters | None = None) -> tuple[float, float]:
    db = open_archive(db_path)
    for query in queries:  # warm-up round, not counted: the OS has the file's pages cached after it
        search(db, query, limit=20, filters=filters)
    timings = []
    for _ in range(ROUNDS):
        for query in queries:
            started = time.perf_counter()
            search(db, query, limit=20, filters=filters)
            timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


def percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95)]


def page_latencies(db_path: Path, queries: tuple[str, ...]) -> tuple[float, float]:
    """The datasette search page over HTTP (`govarchive serve`, HTML with facets), as a browser asks."""
    import urllib.parse
    import urllib.request

    from tests.test_serve import start_datasette

    timings = []
    with start_datasette(db_path) as root:
        urls = [f"{root}/{db_path.stem}/-/search?q={urllib.parse.quote(q)}" for q in queries]
        for url in urls:  # warm-up
            urllib.request.urlopen(url, timeout=60).read()
        for _ in range(ROUNDS):
            for url in urls:
                started = time.perf_counter()
                urllib.request.urlopen(url, timeout=60).read()
                timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


def class_lines(path: Path) -> list[str]:
    """p50/p95 of each query class at the largest size, and of the search page over HTTP."""
    lines = [
        "",
        f"Query classes at {path.stem.split('-')[1]} articles (p50 / p95 ms; target p95 < {TARGET_P95_MS}):",
        "",
    ]
    lines += ["| class | p50 ms | p95 ms | target |", "|---|---|---|---|"]
    classes = {**QUERY_CLASSES, "Thai words with a date filter": THAI_QUERIES}
    for name, queries in classes.items():
        p50, p95 = latencies(path, queries, FILTERS if "filter" in name else None)
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} | {'met' if p95 < TARGET_P95_MS else 'MISSED'} |")
        print(f"bench: search class {name}: p95 {p95:.1f} ms", flush=True)
    p50, p95 = page_latencies(path, THAI_QUERIES[:8] + ENGLISH_QUERIES[:4])
    verdict = "met" if p95 < HTTP_TARGET_P95_MS else "MISSED"
    lines.append(
        f"| search page over HTTP (HTML, facets) | {p50:.1f} | {p95:.1f} | < {HTTP_TARGET_P95_MS}: {verdict} |"
    )
    return lines


def run() -> str:
    lines = [
        "## Search latency at scale",
        "",
        "`archive.search.search` (top 20 with snippets; bm25, or for a query with more than "
        f"{RANKED_MATCHES:,} matches its newest {RANKED_MATCHES:,} ranked by term frequency), one warm-up round "
        f"then {ROUNDS} rounds of {len(THAI_QUERIES)} Thai and {len(ENGLISH_QUERIES)} English queries. "
        "Generated archives are cached in bench/.cache; building them is not counted.",
        "",
        "| articles | text MB | file MB | Thai p50 / p95 ms | English p50 / p95 ms | built in |",
        "|---|---|---|---|---|---|",
    ]
    verdicts = []
    for size in SIZES:
        path, built = cached_archive(size)
        db = open_archive(path)
        text_mb = db.execute("select sum(length(cast(body as blob))) from articles").fetchone()[0] / 1e6
        db.close()
        thai, english = latencies(path, THAI_QUERIES), latencies(path, ENGLISH_QUERIES)
        built_text = f"{built:.0f} s (this run)" if built is not None else "earlier run (cached)"
        lines.append(
            f"| {size:,} | {text_mb:.0f} | {path.stat().st_size / 1e6:,.0f} | {thai[0]:.1f} / {thai[1]:.1f} "
            f"| {english[0]:.1f} / {english[1]:.1f} | {built_text} |"
        )
        print(f"bench: search at {size:,}: thai p95 {thai[1]:.1f} ms, english p95 {english[1]:.1f} ms", flush=True)
        worst = max(thai[1], english[1])
        verdict = "met" if worst < TARGET_P95_MS else f"MISSED by {worst - TARGET_P95_MS:.0f} ms"
        verdicts.append(
            f"- {size:,} articles: worst p95 {worst:.1f} ms (target < {TARGET_P95_MS} ms at 1,000,000): {verdict}."
        )
    lines += ["", "Targets:", *verdicts]
    lines += class_lines(cached_archive(SIZES[-1])[0])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
