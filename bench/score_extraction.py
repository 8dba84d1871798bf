"""Main-text quality on real pages with human-made reference texts: ours beside trafilatura.

    python -m bench.score_extraction [CORPUS]      (default: ../shared/corpus)

The metric is the Article Extraction Benchmark's (scrapinghub): the text is cut into \\w+
tokens, each page scored on its 4-token shingles (precision, recall, F1), then averaged over
pages. A page where an extractor finds nothing scores 0. Speed changes to extraction are
accepted only if this figure holds.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from crawler.extract import ExtractionError, ExtractionRules, extract

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
SHINGLE = 4
Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text.lower())
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))


def score(found: str, reference: str) -> Score:
    got, want = shingles(found), shingles(reference)
    common = sum((got & want).values())
    return Score(common / sum(got.values()) if got else 0.0, common / sum(want.values()) if want else 0.0)


def pages(corpus: Path) -> Iterator[tuple[str, str, str]]:
    """(html, url, reference text) for every page that has a full reference text."""
    for truth_file in sorted(corpus.glob("*/ground-truth/*.json")):
        truth = json.loads(truth_file.read_text("utf-8"))
        html_file = truth_file.parent.parent / "html" / f"{truth_file.stem}.html"
        if truth.get("articleBody") and html_file.exists():
            yield html_file.read_text("utf-8", errors="replace"), truth["url"], truth["articleBody"]


def ours(html: str, url: str) -> str:
    try:
        return extract(html, url, ExtractionRules()).body
    except ExtractionError:
        return ""


def trafilatura_default(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


EXTRACTORS: dict[str, Extractor] = {"ours": ours, "trafilatura.extract()": trafilatura_default}


def measure(corpus: Path) -> dict[str, tuple[Score, float, int]]:
    """Mean precision/recall, pages/s, page count for each extractor."""
    data = list(pages(corpus))
    results = {}
    for name, extractor in EXTRACTORS.items():
        started = time.perf_counter()
        scores = [score(extractor(html, url), reference) for html, url, reference in data]
        seconds = time.perf_counter() - started
        mean = Score(sum(s.precision for s in scores) / len(scores), sum(s.recall for s in scores) / len(scores))
        results[name] = (mean, len(data) / seconds, len(data))
    return results


def run(corpus: Path = DEFAULT_CORPUS) -> str:
    if not corpus.is_dir():
        return f"## Extraction quality\n\nNot measured: no corpus at {corpus}.\n"
    results = measure(corpus)
    count = next(iter(results.values()))[2]
    lines = [
        "## Extraction quality",
        "",
        f"{count} real pages with human-made reference texts (scrapinghub article-extraction-benchmark "
        "sample and government pages of WCXB, `../shared/corpus`), scored on 4-token shingles as the "
        "Article Extraction Benchmark does. Ours runs with generic rules (no site module).",
        "",
        "| extractor | F1 | precision | recall | pages/s |",
        "|---|---|---|---|---|",
    ]
    for name, (mean, rate, _) in results.items():
        lines.append(f"| {name} | {mean.f1:.3f} | {mean.precision:.3f} | {mean.recall:.3f} | {rate:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS))
