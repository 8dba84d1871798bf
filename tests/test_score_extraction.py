"""The extraction scorer (bench/score_extraction.py) reads the corpus as it lies on disk and
scores as the Article Extraction Benchmark does."""

from __future__ import annotations

from pathlib import Path

from bench.score_extraction import HALVES, Page, pages, score, score_page, summarise

CORPUS = Path(__file__).parent / "files" / "scoring"


def test_pages_are_read_gzipped_or_not_and_those_without_a_reference_text_are_skipped() -> None:
    found = {(page.source, page.id): page for page in pages(CORPUS)}
    assert sorted(found) == [("packed", "p2"), ("plain", "p1")]
    assert "Rice prices hold steady" in found["packed", "p2"].html
    assert found["plain", "p1"].required == ("drinking water, rice and medicine",)


def test_a_page_belongs_to_the_same_half_on_every_run_and_both_halves_are_used() -> None:
    def page(n: int) -> Page:
        return Page("source", str(n), "", "", "", (), ())

    halves = [page(n).half for n in range(40)]
    assert halves == [page(n).half for n in range(40)]
    assert set(halves) == set(HALVES)


def test_the_reference_text_scores_one_and_an_empty_answer_zero() -> None:
    reference = next(pages(CORPUS)).reference
    assert score(reference, reference).f1 == 1.0
    assert score("", reference).f1 == 0.0


def test_boilerplate_costs_precision_and_a_lost_paragraph_recall() -> None:
    page = next(p for p in pages(CORPUS) if p.id == "p1")
    second = page.reference.split("\n")[1]
    padded = score_page(page.reference + "\nShare on Facebook. Home News Contact.", page)
    assert padded.shingles.recall == 1.0 and padded.shingles.precision < 1.0
    assert padded.forbidden == (1, 1)
    cut = score_page(second, page)
    assert cut.shingles.precision == 1.0 and cut.shingles.recall < 0.6
    assert cut.required == (0, 1)
    assert summarise([padded, cut]).required == 0.5
