"""The bytes of a mirror site's machine-readable answers: robots.txt, sitemaps, RSS and Atom
feeds, the WordPress REST API's post pages, and the placeholder picture of an upload.

Plain functions of what they list: which of them a site offers, and where, is the site's
business (mirror/site.py). Each writes what WordPress (with or without Yoast) writes, as far
as a crawler reads it.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

API_PER_PAGE = 10
API_MAX_PER_PAGE = 100  # WordPress refuses more
EXCERPT_CHARS = 160
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def robots_txt(sitemap_url: str | None, crawl_delay: float | None = None) -> str:
    lines = ["User-agent: *", "Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"]
    if crawl_delay:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    if sitemap_url:
        lines.append(f"Sitemap: {sitemap_url}")
    return "\n".join(lines) + "\n"


def sitemap_index(sitemap_urls: Sequence[str]) -> str:
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in sitemap_urls)
    return f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>\n'


def urlset(entries: Sequence[tuple[str, str | None]]) -> str:
    """A sitemap of (location, last modified or None)."""
    urls = "".join(
        f"<url><loc>{escape(loc)}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>"
        for loc, lastmod in entries
    )
    return f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">{urls}</urlset>\n'


def rss(items: Sequence[dict[str, Any]], name: str, description: str, root: str) -> str:
    """An RSS 2.0 feed of article summaries (MirrorSite._summary)."""
    entries = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['url'])}</link>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(i['published']))}</pubDate>"
        f"<category><![CDATA[{i['category']['name']}]]></category>"
        f'<guid isPermaLink="false">{root}?p={i["id"]}</guid>'
        f"<description><![CDATA[{i['excerpt']}]]></description></item>"
        for i in items
    )
    return (
        f'{XML_HEAD}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{escape(name)}</title><link>{root}</link>"
        f"<description>{escape(description)}</description>{entries}</channel></rss>\n"
    )


def atom(items: Sequence[dict[str, Any]], name: str, root: str) -> str:
    entries = "".join(
        f'<entry><title type="html">{escape(i["title"])}</title>'
        f'<link rel="alternate" type="text/html" href="{escape(i["url"])}"/>'
        f"<id>{root}?p={i['id']}</id><published>{i['published']}</published>"
        f"<updated>{i.get('modified') or i['published']}</updated>"
        f'<summary type="html">{escape(i["excerpt"])}</summary></entry>'
        for i in items
    )
    return (
        f'{XML_HEAD}<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(name)}</title><id>{root}</id>"
        f'<link rel="alternate" href="{root}"/>{entries}</feed>\n'
    )


def api_posts(
    articles: Sequence[dict[str, Any]], link: Callable[[dict[str, Any]], str], query: dict[str, list[str]]
) -> tuple[int, str, dict[str, str]]:
    """/wp-json/wp/v2/posts?page=N&per_page=M over articles (newest first), each at `link(article)`:
    (status, JSON, headers). A page past the last is WordPress's 400, which crawlers meet."""
    page = int(query.get("page", ["1"])[0])
    per_page = min(API_MAX_PER_PAGE, int(query.get("per_page", [str(API_PER_PAGE)])[0]))
    total_pages = max(1, math.ceil(len(articles) / per_page))
    if page > total_pages:
        error = {
            "code": "rest_post_invalid_page_number",
            "message": "The page number requested is larger than the number of pages available.",
            "data": {"status": 400},
        }
        return 400, json.dumps(error), {}
    posts = [
        {
            "id": a["id"],
            "date": a["published"][:19],
            "modified": (a.get("modified") or a["published"])[:19],
            "slug": a["slug"],
            "link": link(a),
            "title": {"rendered": a["title"]},
            "excerpt": {"rendered": f"<p>{a['paragraphs'][0][:EXCERPT_CHARS]}</p>"},
        }
        for a in articles[(page - 1) * per_page : page * per_page]
    ]
    headers = {"X-WP-Total": str(len(articles)), "X-WP-TotalPages": str(total_pages)}
    return 200, json.dumps(posts, ensure_ascii=False), headers


def picture(name: str) -> bytes:
    """A 1x1 grey PNG whose text chunk names it: each picture path its own bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        (
            chunk(b"IHDR", header),
            chunk(b"tEXt", b"Source\x00" + name.encode("utf-8")),
            chunk(b"IDAT", zlib.compress(b"\x00\x80")),
            chunk(b"IEND", b""),
        )
    )
