"""How crawler.encoding decides between UTF-8 with bad bytes and Thai windows-874, measured.

Every real Thai government text of the corpus (../shared/corpus/thaigov-text) becomes a
page in each of the shapes met on Thai sites: UTF-8 with a few bad bytes (an inserted
0xFF, or a Thai character cut short) labelled UTF-8 or unlabelled, and windows-874 labelled
UTF-8 (header and <meta>) or unlabelled. For each shape: the share of pages read right, and
the invalid-byte share (crawler.encoding.invalid_utf8_share) seen, whose gap between the two
kinds is the margin MAX_INVALID_UTF8_SHARE sits in.

    python -m bench.encodings [CORPUS_TEXT_DIR]
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

from w3lib.encoding import resolve_encoding

from crawler.encoding import MAX_INVALID_UTF8_SHARE, THAI, choose_encoding, invalid_utf8_share

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "thaigov-text" / "text"
BAD_BYTE_COUNTS = (1, 3, 10, 30)
PAGE = "<!doctype html><html><head>{meta}<title>{title}</title></head><body><article>{body}</article></body></html>"


def page(text: str, meta: str) -> str:
    title, _, rest = text.partition("\n")
    paragraphs = "".join(f"<p>{p}</p>" for p in rest.split("\n") if p.strip())
    return PAGE.format(meta=meta, title=title, body=paragraphs)


def with_bad_bytes(data: bytes, count: int, rng: random.Random) -> bytes:
    """`count` faults: half an inserted 0xFF, half a multi-byte character cut short."""
    out = bytearray(data)
    for n in range(count):  # count 0: the body as it is
        at = rng.randrange(len(out))
        while at < len(out) and 0x80 <= out[at] < 0xC0:  # move to the start of a character
            at += 1
        if n % 2 == 0 or at >= len(out) or out[at] < 0x80:
            out[at:at] = b"\xff"
        else:
            del out[at]  # the lead byte: its continuation bytes are left dangling
    return bytes(out)


@dataclass(frozen=True)
class Shape:
    encoding: str  # what the page really is
    labelled_utf8: bool  # header and <meta> say UTF-8
    bad_bytes: int = 0

    @property
    def name(self) -> str:
        faults = f", {self.bad_bytes} bad bytes" if self.bad_bytes else ""
        return f"{'UTF-8' if self.encoding == 'utf-8' else 'windows-874'}{faults}, " + (
            "labelled UTF-8" if self.labelled_utf8 else "unlabelled"
        )

    def make(self, text: str, rng: random.Random) -> tuple[bytes, str]:
        html = page(text, '<meta charset="utf-8">' if self.labelled_utf8 else "")
        body = html.encode(self.encoding, "xmlcharrefreplace")
        return with_bad_bytes(
            body, self.bad_bytes, rng
        ), "text/html; charset=utf-8" if self.labelled_utf8 else "text/html"


SHAPES = (
    *(Shape("utf-8", labelled, count) for count in BAD_BYTE_COUNTS for labelled in (True, False)),
    Shape(THAI, True),
    Shape(THAI, False),
)


def measure(corpus: Path) -> list[str]:
    texts = [p.read_text("utf-8") for p in sorted(corpus.glob("*.txt"))]
    lines = [
        f"{len(texts)} Thai government texts; MAX_INVALID_UTF8_SHARE = {MAX_INVALID_UTF8_SHARE}",
        "",
        "| page | read right | invalid-byte share (min .. max) |",
        "|---|---|---|",
    ]
    for shape in SHAPES:
        rng = random.Random(shape.name)
        right, shares = 0, []
        for text in texts:
            body, content_type = shape.make(text, rng)
            right += resolve_encoding(choose_encoding(body, content_type)) == resolve_encoding(shape.encoding)
            shares.append(invalid_utf8_share(body))
        lines.append(f"| {shape.name} | {right}/{len(texts)} | {min(shares):.4f} .. {max(shares):.4f} |")
    return lines


if __name__ == "__main__":
    print("\n".join(measure(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)))
