"""How well and how fast the attachment reader (crawler/documents.py) reads PDFs: the text layer
of printed Thai and English documents, and OCR of the same Thai pages scanned.

Score: character 3-gram F1 against the text the page was printed from, whitespace removed (a
line break in a PDF is not an error). Targets (issue 21): text layer >= 0.98, OCR >= 0.90.

    python -m bench.pdf_text [CORPUS]      (default: ../shared/corpus)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import CACHE
from bench.document_corpus import THAI_FONT, Document, build
from bench.score_extraction import DEFAULT_CORPUS
from crawler.documents import PDF, Limits, read_document

THAI_DOCUMENTS, ENGLISH_DOCUMENTS, SCANS = 12, 4, 6
TEXT_LAYER_TARGET, OCR_TARGET = 0.98, 0.90


@dataclass
class Score:
    document: Document
    f1: float
    pages: int
    seconds: float
    method: str


def grams(text: str) -> Counter[str]:
    joined = "".join(text.split())
    return Counter(joined[i : i + 3] for i in range(len(joined) - 2))


def f1(found: str, truth: str) -> float:
    a, b = grams(found), grams(truth)
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def score(document: Document, limits: Limits) -> Score:
    started = time.perf_counter()
    read = read_document(document.pdf.read_bytes(), PDF, limits)
    seconds = time.perf_counter() - started
    return Score(document, f1(read.text, document.text), len(read.pages), seconds, read.method)


def summary(name: str, scores: list[Score], target: float) -> str:
    values = [s.f1 for s in scores]
    pages, seconds = sum(s.pages for s in scores), sum(s.seconds for s in scores)
    verdict = "met" if statistics.mean(values) >= target else "MISSED"
    return (
        f"| {name} | {len(scores)} ({pages} pages) | {statistics.mean(values):.3f} | {min(values):.3f} "
        f"| {target:.2f} {verdict} | {pages / seconds:.1f} | {', '.join(sorted({s.method for s in scores}))} |"
    )


def run(corpus: Path = DEFAULT_CORPUS) -> str:
    if not corpus.is_dir():  # the Thai texts to print: as the extraction quality section says
        return f"## Attachment text (PDF)\n\nNot measured: no corpus at {corpus}.\n"
    # Printed once per machine (about a second a document), then read from this cache.
    documents = build(corpus, CACHE / "documents", THAI_DOCUMENTS, ENGLISH_DOCUMENTS, SCANS)
    limits = Limits(ocr_pages=100, ocr_seconds=3600)
    scores = [score(d, limits) for d in documents]
    thai = [s for s in scores if s.document.language == "th" and not s.document.scanned]
    english = [s for s in scores if s.document.language == "en"]
    scans = [s for s in scores if s.document.scanned]
    rows = [summary("Thai, printed (text layer)", thai, TEXT_LAYER_TARGET)]
    rows.append(summary("English, printed (text layer)", english, TEXT_LAYER_TARGET))
    rows.append(summary("Thai, scanned 150-300 dpi (OCR)", scans, OCR_TARGET))
    for dpi in (150, 200, 300):
        rows.append(summary(f"... scanned at {dpi} dpi", [s for s in scans if s.document.dpi == dpi], OCR_TARGET))
    return "\n".join(
        [
            "## Attachment text (PDF)",
            "",
            f"Documents made here (bench/document_corpus.py): {len(thai)} real Thai government news texts and "
            f"{len(english)} English article texts printed to PDF by headless Chromium (Thai font {THAI_FONT}), "
            f"and {len(scans)} of the Thai ones scanned (rasterised at 150/200/300 dpi, turned -1 to 1.5 degrees, "
            "specks added; no text layer). Read by crawler/documents.py: poppler's pdftotext, pages without "
            "text through Tesseract 5 (`tha+eng`, 200 dpi, one thread per page). Score: character 3-gram F1 "
            "against the printed text, whitespace removed. Pages/s on one core, one document at a time.",
            "",
            "| documents | count | F1 mean | F1 min | target | pages/s | how read |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    print(run(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS))
