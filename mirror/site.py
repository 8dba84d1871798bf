"""A WordPress-like news site rendered from an article set, for the demo, tests and benchmarks.

A mirror site is a folder holding `site.json` (name, theme, permalinks, which feed and
sitemap flavour) and `articles.json`. Every discovery route a real agency site offers
(sitemap, feed, WordPress REST API, paginated listings) can be switched off, so tests can
prove that each route alone finds every article.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import mimetypes
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2

from mirror import formats

THEMES = Path(__file__).parent / "themes"
SITES = Path(__file__).parent / "sites"
ROUTES = frozenset({"sitemap", "feed", "api", "listings"})
UPLOADS = "/wp-content/uploads/"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif")


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def site_dir(name_or_path: str | Path) -> Path:
    """Bundled site name (`cdd-mirror`) or a folder path."""
    path = Path(name_or_path)
    return path if path.is_dir() else SITES / str(name_or_path)


@dataclass(frozen=True)
class Answer:
    path: str
    status: int
    sha256: str  # of the body sent
    at: float  # time.monotonic()


class MirrorSite:
    """Renders every URL of one site; `routes` says which discovery routes exist."""

    def __init__(self, folder: str | Path, routes: frozenset[str] = ROUTES) -> None:
        folder = site_dir(folder)
        unknown = set(routes) - ROUTES
        if unknown:
            raise ValueError(f"unknown routes {sorted(unknown)}; choose from {sorted(ROUTES)}")
        self.folder = folder
        self.routes = frozenset(routes)
        self.config: dict[str, Any] = json.loads((folder / "site.json").read_text("utf-8"))
        self.log: list[Answer] = []  # every answer, for tests to inspect
        self.delay = 0.0  # seconds to wait before answering an article page
        self.retry_after: dict[str, int] = {}  # path -> seconds: answer 429 once, then serve
        self.crawl_delay: float | None = None  # robots.txt's Crawl-delay, seconds
        self.declares_sitemap = True  # robots.txt names the sitemap (False: it is only at its usual place)
        self.serves_robots_txt = True  # False: /robots.txt is not found
        self.not_found_status = 404  # 200: a "soft 404", as sites that answer any address do
        self.sends_validators = True  # False: no ETag, so no 304 (as WordPress serves its pages)
        self.compresses = False  # True: every 200 answer gzipped, as most servers send pages
        self.cache_control = ""  # a Cache-Control header for every 200 answer ("max-age=86400")
        self.cache: dict[str, Response] | None = None  # set to {} to render each page once (benchmarks)
        self.lock = threading.Lock()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(THEMES / self.config["theme"]),
            autoescape=True,
        )
        self.reload()

    def reload(self) -> None:
        """Re-read the articles, so a test can edit the site between two crawls."""
        articles = json.loads((self.folder / "articles.json").read_text("utf-8"))
        self.articles = sorted(articles, key=lambda a: a["published"], reverse=True)
        self.by_path = {self.article_path(a): a for a in self.articles}
        self.position = {id(a): n for n, a in enumerate(self.articles)}

    # -- URLs -------------------------------------------------------------------------
    def article_path(self, a: dict[str, Any]) -> str:
        return str(self.config["permalink"]).format(slug=a["slug"], id=a["id"])

    def _url(self, a: dict[str, Any], root: str) -> str:
        return root + self.article_path(a).lstrip("/")

    def feed_path(self) -> str:
        return "/feed/atom/" if self.config["feed"] == "atom" else "/feed/"

    def sitemap_path(self) -> str:
        return "/sitemap_index.xml" if self.config["sitemap"] == "yoast" else "/wp-sitemap.xml"

    # -- dispatch ---------------------------------------------------------------------
    def respond(self, target: str, root: str, if_none_match: str | None = None) -> Response:
        """`render`, as an HTTP server answers: ETag validators, 304s, injected faults, a log."""
        path = urlsplit(target).path
        with self.lock:
            wait = self.retry_after.pop(path, None)
        if wait is not None:
            response = Response(429, "text/plain", b"slow down", {"Retry-After": str(wait)})
        else:
            response = self._render_cached(target, root)
            if self.delay and self._article_at(path) is not None:
                time.sleep(self.delay)
            response = self._as_sent(response, if_none_match)
        with self.lock:
            self.log.append(Answer(path, response.status, hashlib.sha256(response.body).hexdigest(), time.monotonic()))
        return response

    def _as_sent(self, response: Response, if_none_match: str | None) -> Response:
        """A page as the server sends it: its ETag (a 304 when it matches), then the caching and
        compression headers this site is set to send."""
        if response.status != 200:
            return response
        if self.sends_validators:
            etag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
            if if_none_match == etag:
                return Response(304, response.content_type, b"", {"ETag": etag})
            response.headers["ETag"] = etag
        if self.cache_control:
            response.headers["Cache-Control"] = self.cache_control
        if self.compresses:
            gzipped = {**response.headers, "Content-Encoding": "gzip"}
            return Response(200, response.content_type, gzip.compress(response.body), gzipped)
        return response

    def render(self, target: str, root: str) -> Response:
        """Answer one request path (with query) for a site served at `root` (ends in /)."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return self._robots(root) if self.serves_robots_txt else self._not_found(root)
        for handler in (self._upload, self._sitemaps, self._feed, self._api, self._listing, self._page):
            response = handler(path, query, root)
            if response is not None:
                return response
        article = self._article_at(path)
        if article is not None:
            return self._article(article, root)
        return self._not_found(root)

    def _render_cached(self, target: str, root: str) -> Response:
        if self.cache is None:
            return self.render(target, root)
        key = root + target
        if key not in self.cache:
            self.cache[key] = self.render(target, root)
        cached = self.cache[key]
        return Response(cached.status, cached.content_type, cached.body, dict(cached.headers))

    def _article_at(self, path: str) -> dict[str, Any] | None:
        return self.by_path.get(path) or self.by_path.get(path.rstrip("/"))

    # -- pages ------------------------------------------------------------------------
    def _context(self, root: str) -> dict[str, Any]:
        cats = self.config["categories"]
        return {
            "site": self.config,
            "root": root,
            "today": self.config.get("today", ""),
            "feed_url": root + self.feed_path().lstrip("/"),
            "show_links": "listings" in self.routes,
            "categories": [{"slug": s, "name": n, "url": f"{root}category/{s}/"} for s, n in cats.items()],
            "recent": [self._summary(a, root) for a in self.articles[:5]],
        }

    def _summary(self, a: dict[str, Any], root: str) -> dict[str, Any]:
        cat = a["category"]
        author_slug = self._slug(a["author"])
        return {
            **a,
            "url": self._url(a, root),
            "image_url": root + a["image"].lstrip("/"),
            "category": {"slug": cat, "name": self.config["categories"][cat], "url": f"{root}category/{cat}/"},
            "author_url": f"{root}author/{author_slug}/",
            "excerpt": a["paragraphs"][0][:160] + "…",
            "documents": a.get("documents", []),
        }

    def _html(self, template: str, status: int = 200, **context: Any) -> Response:
        """Pages in the site's `charset`; `charset_header` may contradict it ("" = none),
        as old Thai sites' servers do."""
        charset = self.config.get("charset", "utf-8")
        body = self.env.get_template(template).render(**context).encode(charset, errors="xmlcharrefreplace")
        header = self.config.get("charset_header", charset)
        return Response(status, f"text/html; charset={header}" if header else "text/html", body)

    def _article(self, a: dict[str, Any], root: str) -> Response:
        if a.get("http_status", 200) >= 500:
            return Response(a["http_status"], "text/html; charset=UTF-8", b"<h1>Internal Server Error</h1>")
        index = self.position[id(a)]
        view = self._summary(a, root)
        newer = self.articles[index - 1] if index > 0 else None
        older = self.articles[index + 1] if index + 1 < len(self.articles) else None
        view.update(
            prev=self._summary(older, root) if older else None,
            next=self._summary(newer, root) if newer else None,
            related=[self._summary(r, root) for r in self.articles[:4] if r is not a][:3],
            tags=[{"name": t, "url": f"{root}tag/{self._slug(t)}/"} for t in a["tags"]],
            views=(a["id"] * 37) % 900 + 100,
            paragraphs=[] if a.get("broken") == "empty" else a["paragraphs"],
            jsonld=self._jsonld(a, view["url"]),
        )
        return self._html("article.html", a=view, **self._context(root))

    def _jsonld(self, a: dict[str, Any], url: str) -> str:
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "NewsArticle",
                    "headline": a["title"],
                    "datePublished": a["published"],
                    "dateModified": a.get("modified") or a["published"],
                    "author": {"@type": "Person", "name": a["author"]},
                    "mainEntityOfPage": url,
                    "inLanguage": a["lang"],
                }
            ],
        }
        return json.dumps(graph, ensure_ascii=False).replace("</", "<\\/")

    @staticmethod
    def _slug(text: str) -> str:
        return text.lower().replace(" ", "-") if text.isascii() else f"t{zlib.crc32(text.encode()):x}"

    def _page(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        pages = self.config.get("pages", {})
        slug = path.strip("/")
        if slug not in pages:
            return None
        heading, paragraphs = pages[slug]
        ctx = self._context(root)
        page_id = list(pages).index(slug) + 2
        return self._html(
            "page.html", heading=heading, paragraphs=paragraphs, page_id=page_id, canonical=root + slug + "/", **ctx
        )

    def _upload(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        """WordPress's uploads: files an article links, from the folder site.json names as
        `files` (default `files/` in the site's folder), and an image for every other picture
        path (a small PNG naming it)."""
        if not path.startswith(UPLOADS):
            return None
        name = path.rsplit("/", 1)[-1]
        stored = self.folder / self.config.get("files", "files") / name
        if path.startswith(UPLOADS + "files/") and stored.is_file():
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return Response(200, kind, stored.read_bytes())
        if name.lower().endswith(IMAGE_SUFFIXES):
            return Response(200, "image/png", formats.picture(path))
        return None

    def _not_found(self, root: str) -> Response:
        ctx = self._context(root)
        return self._html(
            "page.html",
            self.not_found_status,
            heading="Page not found",
            paragraphs=["Nothing here."],
            page_id=0,
            canonical=root,
            **ctx,
        )

    # -- listings ---------------------------------------------------------------------
    def _listing(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        segments = [s for s in path.split("/") if s]
        page = 1
        if len(segments) >= 2 and segments[-2] == "page" and segments[-1].isdigit():
            page, segments = int(segments[-1]), segments[:-2]
        selection, heading, body_class, base = self._listing_selection(segments, root)
        if selection is None:
            return None
        if segments and "listings" not in self.routes:
            return self._not_found(root)
        per_page = int(self.config["per_page"])
        pages = max(1, math.ceil(len(selection) / per_page))
        if page > pages:
            return self._not_found(root)

        def page_url(n: int) -> str:
            return base if n == 1 else f"{base}page/{n}/"

        items = selection[(page - 1) * per_page : page * per_page]
        return self._html(
            "listing.html",
            heading=heading,
            body_class=body_class + (" paged" if page > 1 else ""),
            items=[self._summary(a, root) for a in items],
            page=page,
            pages=pages,
            page_links=[(n, page_url(n)) for n in range(1, pages + 1)],
            prev_url=page_url(page - 1) if page > 1 else None,
            next_url=page_url(page + 1) if page < pages else None,
            canonical=page_url(page),
            **self._context(root),
        )

    def _listing_selection(self, segments: list[str], root: str) -> tuple[list[dict[str, Any]] | None, str, str, str]:
        if not segments:
            return self.articles, self.config["name"], "home blog", root
        if len(segments) != 2:
            return None, "", "", ""
        kind, slug = segments
        if kind == "category" and slug in self.config["categories"]:
            chosen = [a for a in self.articles if a["category"] == slug]
            return (
                chosen,
                self.config["categories"][slug],
                f"archive category category-{slug}",
                f"{root}category/{slug}/",
            )
        if kind == "tag":
            chosen = [a for a in self.articles if any(self._slug(t) == slug for t in a["tags"])]
            return (chosen or None), f"Tag: {slug}", f"archive tag tag-{slug}", f"{root}tag/{slug}/"
        if kind == "author":
            chosen = [a for a in self.articles if self._summary(a, root)["author_url"].endswith(f"/{slug}/")]
            return (chosen or None), f"Author: {slug}", f"archive author author-{slug}", f"{root}author/{slug}/"
        return None, "", "", ""

    # -- machine-readable routes (their bytes: mirror/formats.py) ---------------------
    def _robots(self, root: str) -> Response:
        declared = "sitemap" in self.routes and self.declares_sitemap
        sitemap = f"{root}{self.sitemap_path().lstrip('/')}" if declared else None
        return Response(200, "text/plain; charset=utf-8", formats.robots_txt(sitemap, self.crawl_delay).encode())

    def _sitemaps(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        yoast = self.config["sitemap"] == "yoast"
        # Entries built only for the sitemap asked for: every page request passes through here.
        children: dict[str, Callable[[], list[tuple[str, str | None]]]] = {
            ("/post-sitemap.xml" if yoast else "/wp-sitemap-posts-post-1.xml"): lambda: [
                (self._url(a, root), a.get("modified") or a["published"]) for a in self.articles
            ],
            ("/page-sitemap.xml" if yoast else "/wp-sitemap-posts-page-1.xml"): lambda: [
                (f"{root}{slug}/", None) for slug in self.config.get("pages", {})
            ],
            ("/category-sitemap.xml" if yoast else "/wp-sitemap-taxonomies-category-1.xml"): lambda: [
                (f"{root}category/{slug}/", None) for slug in self.config["categories"]
            ],
        }
        if path not in children and path != self.sitemap_path():
            return None
        if "sitemap" not in self.routes:
            return self._not_found(root)
        if path == self.sitemap_path():
            xml = formats.sitemap_index([f"{root}{p.lstrip('/')}" for p in children])
        else:
            xml = formats.urlset(children[path]())
        return Response(200, "application/xml; charset=UTF-8", xml.encode("utf-8"))

    def _feed(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        if path not in ("/feed/", "/feed", "/feed/atom/"):
            return None
        if "feed" not in self.routes or path.rstrip("/") + "/" != self.feed_path():
            return self._not_found(root)
        items = [self._summary(a, root) for a in self.articles]
        name = self.config["name"]
        if self.config["feed"] == "atom":
            return Response(200, "application/atom+xml; charset=UTF-8", formats.atom(items, name, root).encode("utf-8"))
        feed = formats.rss(items, name, self.config["description"], root)
        return Response(200, "application/rss+xml; charset=UTF-8", feed.encode("utf-8"))

    def _api(self, path: str, query: dict[str, list[str]], root: str) -> Response | None:
        if not path.startswith("/wp-json"):
            return None
        if "api" not in self.routes:
            return self._not_found(root)
        if path.rstrip("/") != "/wp-json/wp/v2/posts":
            return Response(200, "application/json; charset=UTF-8", json.dumps({"name": self.config["name"]}).encode())
        status, body, headers = formats.api_posts(self.articles, lambda a: self._url(a, root), query)
        return Response(status, "application/json; charset=UTF-8", body.encode("utf-8"), headers)
