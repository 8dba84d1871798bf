"""A synthetic government news site of N pages, built like the real ones, for benchmarks.

Pages are 60-120 KB of HTML: the Digiqole theme of the CDD mirror plus a mega-menu of the
size real agency themes carry. Bodies of 2-6 KB: real Thai government texts (thaigov
corpus) and real English government texts (WCXB ground truth bundled in tests/files is not
available, so English bodies come from the mirror's English articles). Half the pages give
their date in meta tags, half only as visible Thai text. Sitemap, feed and listings as usual.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mirror.corpus import read_text, thai_date_text
from mirror.site import SITES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "files" / "thaigov-text" / "text"
BKK = timezone(timedelta(hours=7))
MENU_ITEMS = 280  # about 65 KB of navigation markup, as agency mega-menus carry
BODY_CHARS = (2000, 6000)


def padding_html(rng: random.Random, words: list[str]) -> str:
    items = []
    for n in range(MENU_ITEMS):
        label = " ".join(rng.choice(words) for _ in range(3))
        items.append(f'<li class="menu-item menu-item-{n}"><a href="/service/{n}/">{label}</a></li>')
    return '<ul class="mega-menu-list">' + "".join(items) + "</ul>"


def body_paragraphs(rng: random.Random, pool: list[str]) -> list[str]:
    target = rng.randint(*BODY_CHARS)
    paragraphs: list[str] = []
    while sum(map(len, paragraphs)) < target:
        paragraphs.append(rng.choice(pool))
    return paragraphs


def build(target: Path, pages: int, seed: int = 2566) -> Path:
    rng = random.Random(seed)
    texts = [t for t in map(read_text, sorted(CORPUS.glob("*.txt"))) if t is not None]
    thai_pool = [p for t in texts for p in t.paragraphs if 100 < len(p) < 1500]
    mirror = json.loads((SITES / "cdd-mirror" / "articles.json").read_text("utf-8"))
    english_pool = [p for a in mirror if a["lang"] == "en" for p in a["paragraphs"] if len(p) > 100]
    words = " ".join(thai_pool[:200]).split()
    config = json.loads((SITES / "cdd-mirror" / "site.json").read_text("utf-8"))
    config["padding_html"] = padding_html(rng, words)
    config["per_page"] = 20
    articles = []
    start = datetime(2019, 1, 1, 8, 0, tzinfo=BKK)
    for n in range(pages):
        english = n % 10 < 3
        text = rng.choice(texts)
        published = start + timedelta(hours=7 * n, minutes=n % 60)
        articles.append(
            {
                "id": 10_000 + n,
                "slug": f"news-{n:06d}",
                "title": f"News {n}: government update" if english else f"{text.title} ({n})",
                "lang": "en" if english else "th",
                "category": ("activity", "pr", "english")[2 if english else n % 2],
                "tags": [],
                "author": "กลุ่มประชาสัมพันธ์",
                "published": published.isoformat(),
                "modified": None,
                "visible_date": published.strftime("%B %-d, %Y") if english else thai_date_text(published, n),
                "date_in_meta": english or n % 2 == 0,
                "image": f"/wp-content/uploads/{published:%Y/%m}/photo-{n}.jpg",
                "paragraphs": body_paragraphs(rng, english_pool if english else thai_pool),
                "source": "synthetic",
            }
        )
    target.mkdir(parents=True, exist_ok=True)
    (target / "site.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    (target / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    return target
