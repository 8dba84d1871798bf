"""Word-aware Thai ranking: how many of the top 10 hits of a short Thai word hold it as a
whole word, for the ranking shipped and the two it improves on, on 295 real Thai articles.

Truth: PyThaiNLP's newmm segmenter (as tests/test_thai_search.py). Rankings compared, all
through archive.search.search: without the whole-word pass (bm25, or term frequency for
the newest matches), ICU word boundaries alone, and
ICU boundaries with the dictionary check for compounds (shipped; archive/words.py). Recall:
whether the total counts every article containing the word.
"""

from __future__ import annotations

import statistics
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from unittest import mock

from pythainlp.tokenize import word_tokenize

from archive import words
from archive.db import open_archive
from archive.search import search
from archive.store import ArchiveWriter
from bench.thai_search import load_texts

ROOT = Path(__file__).resolve().parent.parent
SHORT_WORDS_FILE = ROOT / "tests" / "files" / "thai-short-words.txt"
TOP = 10


def rankings() -> dict[str, AbstractContextManager[object]]:
    return {
        "no whole-word pass (bm25, term frequency)": mock.patch(
            "archive.search._word_aware", lambda db, query, pool: (pool, {})
        ),
        "ICU boundaries alone": mock.patch.object(words, "_dictionary", lambda: frozenset()),
        "ICU + dictionary (shipped)": nullcontext(),
    }


def run() -> str:
    short = [w.strip() for w in SHORT_WORDS_FILE.read_text("utf-8").splitlines() if w.strip() and w[0] != "#"]
    texts = [f"{title}\n{body}" for title, body in load_texts()]
    with tempfile.TemporaryDirectory() as folder:
        db = open_archive(Path(folder) / "thai.db")
        writer = ArchiveWriter(db)
        for n, text in enumerate(texts):
            title, body = text.split("\n", 1)
            writer.write_article({"url": str(n), "site": "t", "title": title, "body": body, "http_status": 200})
        segmented = [word_tokenize(text.lower(), engine="newmm", keep_whitespace=False) for text in texts]
        lines = [
            "## Word-aware Thai ranking",
            "",
            f"{len(short)} short Thai words on {len(texts)} real Thai articles: share of the top {TOP} hits that "
            "hold the word as a whole word (PyThaiNLP newmm's segmentation as truth), mean and lowest over the "
            "words; recall: the total equals the articles containing the word.",
            "",
            "| ranking | whole-word share of top 10 (mean) | lowest | recall of substring matches |",
            "|---|---|---|---|",
        ]
        for name, patch in rankings().items():
            shares, complete = [], 0
            with patch:
                for word in short:
                    whole = {str(n) for n, tokens in enumerate(segmented) if word in tokens}
                    results = search(db, word, limit=TOP)
                    top = [hit.url for hit in results]
                    shares.append(sum(u in whole for u in top) / len(top) if len(whole) >= len(top) else 1.0)
                    complete += results.total == sum(word in text for text in texts)
            lines.append(
                f"| {name} | {statistics.mean(shares):.2f} | {min(shares):.1f} | {complete / len(short):.2f} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
