"""Thai full-text search: four ways to index Thai, measured on 295 real Thai government articles.

- unicode61: SQLite's default tokenizer (what a plain `enable_fts` gives);
- trigram: FTS5's trigram tokenizer (what the archive uses);
- newmm: words segmented by pythainlp (newmm) into a shadow column, queries segmented the same way;
- icu: the same with ICU's Thai word breaker (PyICU).

Ground truth for a query: the articles whose normalised title and body contain it. Figures:
micro-averaged recall and precision over the query set, the index's size (dbstat), insert
rate with the index maintained, and query latency (p50/p95).
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from archive.text import normalize_text
from mirror.corpus import read_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "files" / "thaigov-text" / "text"
QUERIES_FILE = ROOT / "tests" / "files" / "thai-queries.txt"
SHORT_QUERIES = ("ยา", "ปี", "รถ", "น้ำ")  # 1-2 character words: trigram's blind spot
COPIES = 5  # the corpus inserted this many times, for a stable insert rate (10 until session 5)
LATENCY_ROUNDS = 5
SEGMENTED_TOKENIZER = "unicode61 categories 'L* N* Co M*'"


@dataclass
class Result:
    name: str
    recall: float
    precision: float
    short_found: str
    index_mb: float
    text_mb: float
    inserts_per_s: float
    p50_ms: float
    p95_ms: float


def load_queries() -> list[str]:
    lines = QUERIES_FILE.read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def load_texts() -> list[tuple[str, str]]:
    texts = [t for t in map(read_text, sorted(CORPUS.glob("*.txt"))) if t is not None]
    return [(normalize_text(t.title), normalize_text("\n\n".join(t.paragraphs))) for t in texts]


def segmenter(engine: str) -> Callable[[str], str]:
    if engine == "icu":
        from icu import BreakIterator, Locale

        breaker = BreakIterator.createWordInstance(Locale("th"))

        def icu_words(text: str) -> list[str]:
            breaker.setText(text)
            bounds = [0, *breaker]
            return [text[a:b] for a, b in itertools.pairwise(bounds)]

        split = icu_words
    else:
        from pythainlp.tokenize import word_tokenize

        def split(text: str) -> list[str]:
            return word_tokenize(text, engine=engine)

    return lambda text: " ".join(w for w in split(text) if w.strip())


def build(path: Path, texts: list[tuple[str, str]], mode: str) -> tuple[Database, float]:
    """An archive-like table indexed one way; returns it and the insert rate."""
    db = Database(path)
    segment = segmenter(mode) if mode in ("newmm", "icu") else None
    columns = {"id": int, "title": str, "body": str}
    if segment:
        columns |= {"title_seg": str, "body_seg": str}
    db.table("articles").create(columns, pk="id")
    if segment:
        db.table("articles").enable_fts(["title_seg", "body_seg"], tokenize=SEGMENTED_TOKENIZER, create_triggers=True)
    else:
        db.table("articles").enable_fts(
            ["title", "body"], tokenize="trigram" if mode == "trigram" else None, create_triggers=True
        )
    started = time.perf_counter()
    rows = []
    for copy in range(COPIES):
        for n, (title, body) in enumerate(texts):
            row = {"id": copy * len(texts) + n, "title": title, "body": body}
            if segment:
                row |= {"title_seg": segment(title), "body_seg": segment(body)}
            rows.append(row)
    db.table("articles").insert_all(rows, batch_size=500)
    rate = len(rows) / (time.perf_counter() - started)
    return db, rate


def query_ids(db: Database, mode: str, query: str, first_copy: int) -> set[int]:
    """Ids of matching articles among the first copy of the corpus (ids below `first_copy`)."""
    terms = [segmenter(mode)(term) for term in query.split()] if mode in ("newmm", "icu") else query.split()
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)  # each term a phrase, all required
    sql = "select rowid from articles_fts where articles_fts match ? and rowid < ?"
    return {r[0] for r in db.execute(sql, [match, first_copy]).fetchall()}


def measure(mode: str, texts: list[tuple[str, str]], queries: list[str]) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        db, rate = build(Path(folder) / "t.db", texts, mode)
        relevant = retrieved = correct = 0
        for query in queries:
            terms = [t.lower() for t in query.split()]
            truth = {
                n for n, (title, body) in enumerate(texts) if all(t in (title + "\n" + body).lower() for t in terms)
            }
            found = query_ids(db, mode, query, len(texts))
            relevant, retrieved, correct = relevant + len(truth), retrieved + len(found), correct + len(found & truth)
        short = []
        for query in SHORT_QUERIES:
            truth_count = sum(query in title + body for title, body in texts)
            found_count = len(query_ids(db, mode, query, len(texts)))
            short.append(f"{query} {found_count}/{truth_count}")
        timings = []
        for _ in range(LATENCY_ROUNDS):
            for query in queries:
                started = time.perf_counter()
                query_ids(db, mode, query, len(texts) * COPIES)
                timings.append((time.perf_counter() - started) * 1000)
        index_bytes = db.execute("select sum(pgsize) from dbstat where name like 'articles_fts%'").fetchone()[0]
        text_bytes = sum(len((t + b).encode()) for t, b in texts) * COPIES
        db.close()
    timings.sort()
    return Result(
        mode,
        correct / relevant,
        correct / retrieved if retrieved else 0.0,
        ", ".join(short),
        index_bytes / 1e6,
        text_bytes / 1e6,
        rate,
        statistics.median(timings),
        timings[int(len(timings) * 0.95)],
    )


def run() -> str:
    texts, queries = load_texts(), load_queries()
    results = []
    for mode in ("unicode61", "trigram", "newmm", "icu"):
        try:
            results.append(measure(mode, texts, queries))
        except ImportError as error:
            print(f"thai_search: {mode} skipped ({error})")
    lines = [
        "## Thai full-text search",
        "",
        f"{len(texts)} real Thai government articles (inserted {COPIES} times for the size and rate figures), "
        f"{len(queries)} queries; ground truth: articles containing the query. Latency over "
        f"{LATENCY_ROUNDS} rounds of the query set on the {COPIES}x archive.",
        "",
        "| index | recall | precision | 1-2 char queries found/true | index MB (text MB) | inserts/s "
        "| p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.recall:.3f} | {r.precision:.3f} | {r.short_found} | {r.index_mb:.1f} ({r.text_mb:.1f}) "
            f"| {r.inserts_per_s:,.0f} | {r.p50_ms:.2f} | {r.p95_ms:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
