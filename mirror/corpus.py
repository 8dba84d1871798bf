"""Build mirror sites from real Thai government news texts (tests/files/thaigov-text).

Each text gives a title, its visible date and its paragraphs. The site written here shows
the date only as Thai text, in one of several styles agencies use, with no machine-readable
date: the case where the archive must read the Buddhist-Era date itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from archive.text import ARABIC_TO_THAI_DIGITS
from crawler.dates import THAI_MONTH_ABBR, THAI_MONTHS
from mirror.site import SITES

BKK = timezone(timedelta(hours=7))
DATE_LINE = re.compile(r"วัน\S*ที่ (\d{1,2}) (\S+) (\d{4})")
TITLE_PREFIX = re.compile(r"^รัฐบาลไทย-[^-]+-")
SOURCE_LINE = "ที่มา"
MIN_PARAGRAPH_CHARS = 40
CATEGORIES = ("activity", "pr")


@dataclass(frozen=True)
class CorpusText:
    key: str
    title: str
    published: datetime
    paragraphs: list[str]


def thai_date_text(when: datetime, style: int) -> str:
    """`when` written the way Thai agency pages write dates; six styles, by `style` mod 6."""
    be = when.year + 543
    day, month, month_abbr = when.day, THAI_MONTHS[when.month - 1], THAI_MONTH_ABBR[when.month - 1]
    styles = (
        f"{day} {month} {be}",
        f"{day} {month_abbr} {be % 100:02d}",
        f"วันที่ {day} {month} พ.ศ. {be}",
        f"{day} {month} {be}".translate(ARABIC_TO_THAI_DIGITS),
        f"{day:02d}/{when.month:02d}/{be} {when:%H:%M} น.",
        f"{day} {month} {be} เวลา {when:%H:%M} น.",
    )
    return styles[style % len(styles)]


def read_text(path: Path) -> CorpusText | None:
    """One corpus file; None when it lacks a readable date line or body."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) < 4:
        return None
    match = DATE_LINE.match(lines[2].strip())
    if not match or match[2] not in THAI_MONTHS:
        return None
    published = datetime(int(match[3]) - 543, THAI_MONTHS.index(match[2]) + 1, int(match[1]), tzinfo=BKK)
    title = TITLE_PREFIX.sub("", lines[0]).strip()
    paragraphs: list[str] = []
    for line in lines[3:]:
        text = " ".join(line.split())
        if len(text) < MIN_PARAGRAPH_CHARS or text.startswith(SOURCE_LINE) or text == " ".join(title.split()):
            continue
        if not paragraphs or paragraphs[-1] != text:
            paragraphs.append(text)
    return CorpusText(path.stem, title, published, paragraphs) if paragraphs else None


def mirror_articles(texts: list[CorpusText], date_in_meta: bool = False) -> list[dict[str, Any]]:
    """Articles in the mirror's articles.json format."""
    articles = []
    for n, text in enumerate(texts, start=1):
        published = text.published.replace(hour=8 + n % 9, minute=(n * 7) % 60)
        articles.append(
            {
                "id": 1000 + n,
                "slug": f"news-{n:04d}",
                "title": text.title,
                "lang": "th",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "tags": [],
                "author": "กลุ่มประชาสัมพันธ์",
                "published": published.isoformat(),
                "modified": None,
                "visible_date": thai_date_text(published, n),
                "date_in_meta": date_in_meta,
                "image": f"/wp-content/uploads/{published:%Y/%m}/photo-{1000 + n}.jpg",
                "paragraphs": text.paragraphs,
                "source": text.key,
            }
        )
    return articles


def build_site(
    texts_dir: Path, target: Path, limit: int | None = None, date_in_meta: bool = False, **site_options: Any
) -> Path:
    """A Digiqole-themed mirror site at `target` holding the corpus texts.

    `site_options` override site.json, e.g. charset="tis-620", charset_header="utf-8".
    """
    texts = [t for t in map(read_text, sorted(texts_dir.glob("*.txt"))) if t is not None][:limit]
    target.mkdir(parents=True, exist_ok=True)
    config = json.loads((SITES / "cdd-mirror" / "site.json").read_text("utf-8"))
    config.update(site_options)
    (target / "site.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
    articles = mirror_articles(texts, date_in_meta)
    (target / "articles.json").write_text(json.dumps(articles, ensure_ascii=False, indent=1), encoding="utf-8")
    return target
