"""A measured corpus of documents made here: real texts printed to PDF by headless Chromium,
and the same pages as scans (rasterised at 150-300 dpi, a little skewed, with specks).

Thai texts come from ../shared/corpus/thaigov-text (Thai government news), English ones from
the reference texts of the extraction corpus. Printing needs Debian's chromium and Thai fonts
(fonts-thai-tlwg); rasterising needs poppler-utils. Each document is kept with its source
text, so a reader's output can be scored (character 3-gram F1, bench/pdf_text.py).
"""

from __future__ import annotations

import html
import json
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

THAI_FONT = "Garuda"  # fonts-thai-tlwg
PAGE_CSS = "@page { size: A4; margin: 2cm } body { font: 14pt/1.5 %s, sans-serif }"
SCAN_CSS = "@page { size: A4; margin: 0 } body { margin: 0 } img { width: 210mm; display: block }"
SPECKS = 400  # dark dots per scanned page, as a photocopier leaves


class NoChromiumError(RuntimeError):
    pass


@dataclass(frozen=True)
class Document:
    pdf: Path
    text: str  # what the page shows, as the source gave it
    language: str
    scanned: bool
    dpi: int | None = None


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise NoChromiumError("printing documents needs chromium: apt-get install -y chromium fonts-thai-tlwg")
    return found


def print_pdf(page: str, pdf: Path) -> Path:
    """An HTML page printed to PDF by headless Chromium, as an agency's office prints one."""
    with tempfile.TemporaryDirectory(prefix="govarchive-print-") as folder:
        source = Path(folder) / "page.html"
        source.write_text(page, "utf-8")
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"]
        command += [f"--user-data-dir={folder}/profile", f"--print-to-pdf={pdf}", source.as_uri()]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    return pdf


def text_page(text: str, language: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    css = PAGE_CSS % (THAI_FONT if language == "th" else "serif")
    return f'<!doctype html><html lang="{language}"><meta charset="utf-8"><style>{css}</style><body>{paragraphs}'


def scan_page(images: list[Path], skew: float, seed: int) -> str:
    """Each page image, turned by `skew` degrees, with specks: a scanned paper."""
    rng = random.Random(seed)
    pages = []
    for image in images:
        dots = "".join(
            f'<circle cx="{rng.uniform(0, 210):.1f}" cy="{rng.uniform(0, 297):.1f}" r="{rng.uniform(0.05, 0.2):.2f}"/>'
            for _ in range(SPECKS)
        )
        pages.append(
            f'<div style="position:relative;page-break-after:always;overflow:hidden;height:297mm">'
            f'<img src="{image.as_uri()}" style="transform:rotate({skew}deg)">'
            f'<svg viewBox="0 0 210 297" style="position:absolute;top:0;left:0;width:210mm;height:297mm">{dots}</svg>'
            "</div>"
        )
    return f'<!doctype html><meta charset="utf-8"><style>{SCAN_CSS}</style><body>{"".join(pages)}'


def rasterise(pdf: Path, dpi: int, folder: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page*.png"))


def scanned(pdf: Path, out: Path, dpi: int, skew: float, seed: int) -> Path:
    """The printed PDF as a scan: pages as images only, no text layer."""
    with tempfile.TemporaryDirectory(prefix="govarchive-scan-") as folder:
        return print_pdf(scan_page(rasterise(pdf, dpi, Path(folder)), skew, seed), out)


def thai_texts(corpus: Path, count: int, max_chars: int = 2500) -> list[str]:
    """The first `count` Thai news texts (sorted by name), cut at a line to about max_chars:
    one or two printed pages each."""
    files = sorted((corpus / "thaigov-text" / "text").glob("*.txt"))[:count]
    return [_cut(path.read_text("utf-8"), max_chars) for path in files]


def english_texts(corpus: Path, count: int, max_chars: int = 2500) -> list[str]:
    """Reference texts of the scrapinghub benchmark's (English) articles."""
    files = sorted((corpus / "scrapinghub-aeb" / "ground-truth").glob("*.json"))
    texts = (json.loads(path.read_text("utf-8")).get("articleBody") or "" for path in files)
    return [_cut(text, max_chars) for text in texts if text.isascii() and len(text) > max_chars // 2][:count]


def _cut(text: str, max_chars: int) -> str:
    out: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if line and not line.startswith("ที่มา"):
            out.append(line)
            if sum(map(len, out)) > max_chars:
                break
    return "\n".join(out)


def build(corpus: Path, folder: Path, thai: int, english: int, scans: int) -> list[Document]:
    """Printed documents, then `scans` of the Thai ones scanned at 150, 200 and 300 dpi in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = []
    for language, texts in (("th", thai_texts(corpus, thai)), ("en", english_texts(corpus, english))):
        for n, text in enumerate(texts):
            pdf = folder / f"{language}-{n:03}.pdf"
            if not pdf.exists():
                print_pdf(text_page(text, language), pdf)
            documents.append(Document(pdf, text, language, False))
    for n, printed in enumerate([d for d in documents if d.language == "th"][:scans]):
        dpi, skew = (150, 200, 300)[n % 3], (-1.0, 0.5, 1.5)[n % 3]
        pdf = folder / f"scan-{n:03}-{dpi}dpi.pdf"
        if not pdf.exists():
            scanned(printed.pdf, pdf, dpi, skew, seed=n)
        documents.append(Document(pdf, printed.text, "th", True, dpi))
    return documents
