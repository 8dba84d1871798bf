"""A hostile news site on 127.0.0.1: good Thai articles among pages built to hang, bloat or lose
a crawl. Every case below says which route names it and what the archive must record of it.
Like a view counter, every answer sets a cookie of its own; like a "recently read" list, one
cookie grows by a page's number on every answer. Like old PHP and Java sites, the home page
writes a new session identifier into each of its links to articles and listing pages.

The good articles are a mirror site (tests/files/hostile-site/): three of them arrive with
broken encodings (one of those gzipped). The home page links to the listing-named cases and to the traps; an extra
sitemap, announced in robots.txt, names the rest.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from mirror.site import MirrorSite
from tests.hostile_pages import gzip_bomb, html_page, in_windows_874, link_bomb, novel, with_visit_ids

FOLDER = Path(__file__).parent / "files" / "hostile-site"
LISTING_LINKS = 1_000  # on the listing that names more pages than a page may (the test allows 100)
MANY_LINKS_TARGETS = "/bad/many/"  # where its links lead: not found
TRICKLE_SECONDS_PER_BYTE = 1.0
SILENCE_SECONDS = 120  # longer than any test's download timeout
REDIRECT_CHAIN = 30
HEADER_BOMB_LINES = 25_000  # 1 MB of headers: past GOVARCHIVE_MAX_HEADER_BYTES (256 KiB)
HTML = "text/html; charset=utf-8"
INVALID_BYTE_MARK = b"[[BAD]]"  # where the server puts an invalid UTF-8 byte in a good article
CLOSED_HEADER = b"</header>\n</body>\n</html>"  # libxml2 dropped what follows; a browser reads on
INVALID_BYTES_PATH = "/news/encoding-invalid-bytes/"
TIS620_PATH = "/news/encoding-tis620/"
TIS620_GZIP_PATH = "/news/encoding-tis620-gzip/"  # the same, and gzipped on the wire
CLOSED_EARLY_PATH = "/news/closed-early/"  # a good article whose theme header closes the document
UNCLOSED_TAGS_PATH = "/news/unclosed-tags/"  # a good article nested past libxml2's depth limit
UNCLOSED_DIVS_PATH = "/news/unclosed-divs/"  # the same by block containers: a template's loop
HEADER_BOMB_PATH = "/bad/header-bomb/"  # 1 MB of response headers before a small body
UNCLOSED_TAGS = b"</header>" + b'<font size="2">' * 3_000  # opened after the header, never closed
UNCLOSED_DIVS = b"</header>" + b'<div class="row">' * 3_000


@dataclass(frozen=True)
class Case:
    path: str
    route: str  # "sitemap", "listing" or "both": who names the URL
    kind: str  # the `failures.kind` the crawl must record for it


# Each bad URL and the failure it must leave; the handlers are in HostileHandler.
CASES = (
    Case("/bad/truncated/", "sitemap", "truncated"),
    Case("/bad/binary/", "sitemap", "not_html"),
    Case("/bad/binary-as-html/", "sitemap", "not_html"),
    Case("/bad/empty/", "sitemap", "empty"),
    Case("/bad/loop-a/", "sitemap", "redirect_loop"),
    Case("/bad/chain/0/", "sitemap", "too_many_redirects"),
    Case("/bad/always-500/", "both", "http_error"),
    Case("/bad/listed-500/", "listing", "http_error"),
    Case("/bad/trickle/", "sitemap", "timeout"),
    Case("/bad/silent/", "listing", "timeout"),
    Case("/bad/bomb/", "sitemap", "too_large"),
    Case("/bad/huge/", "sitemap", "too_large"),
    Case("/bad/endless/", "listing", "too_large"),
    Case("/bad/offsite/", "sitemap", "offsite_redirect"),
    Case("/bad/to-mailto/", "sitemap", "offsite_redirect"),  # off the web: Scrapy raised on it
    Case("/bad/to-ftp/", "sitemap", "offsite_redirect"),  # Scrapy recorded the page's own HTTP 302
    Case("/bad/gone/", "sitemap", "http_error"),
    Case("/bad/broken-gzip/", "sitemap", "corrupt"),  # Scrapy raised on it (kind other)
    Case("/bad/broken-deflate/", "sitemap", "corrupt"),
    Case("/bad/not-http/", "sitemap", "connection"),  # an answer without a status line
    Case("/bad/link-bomb/", "sitemap", "extraction"),  # an article page of links: past the CPU bound
    Case("/bad/novel/", "sitemap", "extraction"),  # an article page of more text than an article may store
    Case("/bad/many-links/", "listing", "too_large"),  # a listing naming more pages than a page may
    Case(HEADER_BOMB_PATH, "sitemap", "too_large"),  # 1 MB of response headers before a small body
    Case("/2999/01/", "listing", "trap"),  # a date archive of a year to come
    Case("/loop/a/a/a/", "listing", "trap"),  # reached by relative links from /loop/a/
)
# Generated URL spaces linked from the home page: the first page of each is fetched.
CALENDAR_START = "/calendar/?date=2024-01-01"  # each day links the next, and two thin event pages
ARCHIVE_START = "/archive/page/1/"  # page numbers without end, always listing the same articles
FILTER_START = "/filter/?cat=1"  # links to ever more combinations of filter keys
LOOP_START = "/loop/a/"
TRAP_STARTS = (CALENDAR_START, ARCHIVE_START, FILTER_START, LOOP_START)
FILTER_KEYS = ("sort", "view", "lang", "year", "tag", "author", "order", "per", "layout", "theme")


GZIPPED = {"Content-Encoding": "gzip"}
NOT_GZIPPED = b"<html><body><p>said to be gzipped, sent plain</p></body></html>"  # a browser refuses it too
GROWING_COOKIE = "recent"
ELSEWHERE = "news/elsewhere/"  # a page on the decoy host, named by the sitemap: not this site's
# Addresses no request can be made for, first in the sitemap: what follows them must still be read.
RELATIVE_LOCATION = "/bad/empty/"  # the sitemap writes this one as a path, as hand-made sitemaps do
MALFORMED_LOCATIONS = ("http://127.0.0.1:99999/news/port/", "//127.0.0.1/news/no-scheme/", "http://[::1/news/ipv6/")
GROWTH = 63  # digits the growing cookie gains on each answer (a page's number, padded)
# robots.txt goes on past RFC 9309's least parsing limit (500 KiB) to forbid everything: a crawler
# that reads it all (and checks every request against all of it) archives nothing.
ROBOTS_PADDING = (b"# " + b"-" * 97 + b"\n") * 6_000  # 600 KB of comment lines
ROBOTS_PAST_THE_LIMIT = b"User-agent: *\nDisallow: /\n"


class HostileSite:
    """The site's state: the mirror of good articles, the bomb, and a log of requests."""

    def __init__(self, decoy_url: str) -> None:
        self.mirror = MirrorSite(FOLDER)
        self.decoy_url = decoy_url
        self.bomb = gzip_bomb()
        self.link_bomb = link_bomb()
        links = [f"{MANY_LINKS_TARGETS}{n}/" for n in range(LISTING_LINKS)]
        self.many_links = html_page("archive category", "Every post", links)
        self.requests: Counter[str] = Counter()  # path (with query) -> requests
        self.most_cookies = 0  # the most cookies one request carried
        self.longest_cookie = 0  # the longest value of the growing cookie a request carried
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def note(self, target: str, cookies: str) -> None:
        with self.lock:
            self.requests[target] += 1
            self.most_cookies = max(self.most_cookies, len([c for c in cookies.split(";") if c.strip()]))
            self.longest_cookie = max(self.longest_cookie, len(growing_cookie(cookies)))

    def requested(self, prefix: str) -> int:
        with self.lock:
            return sum(n for target, n in self.requests.items() if target.startswith(prefix))


def growing_cookie(cookies: str) -> str:
    """The value of the cookie that grows on every answer, as a request's Cookie header has it."""
    morsel = SimpleCookie(cookies).get(GROWING_COOKIE)
    return morsel.value if morsel is not None else ""


def make_handler(site: HostileSite) -> type[BaseHTTPRequestHandler]:
    class HostileHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def end_headers(self) -> None:
            page = zlib.crc32(self.path.encode())
            self.send_header("Set-Cookie", f"viewed-{page}=1; Path=/")
            grown = f"{growing_cookie(self.headers.get('Cookie', ''))}-{page:0{GROWTH}d}"
            self.send_header("Set-Cookie", f"{GROWING_COOKIE}={grown}; Path=/")
            super().end_headers()

        def do_GET(self) -> None:
            site.note(self.path, self.headers.get("Cookie", ""))
            parts = urlsplit(self.path)
            handler = self.route(parts.path)
            if handler is not None:
                handler(parse_qs(parts.query))
            else:
                self.mirrored()

        def route(self, path: str) -> Callable[[dict[str, list[str]]], None] | None:
            if path.startswith("/bad/chain/"):
                return lambda _: self.chain(int(path.split("/")[3]))
            if path.startswith("/loop/"):
                return lambda _: self.loop(path)
            fixed: dict[str, Callable[[dict[str, list[str]]], None]] = {
                "/robots.txt": lambda _: self.robots(),
                "/hostile-sitemap.xml": lambda _: self.sitemap(),
                "/": lambda _: self.home(),
                "/bad/truncated/": lambda _: self.truncated(),
                "/bad/not-http/": lambda _: self.not_http(),
                "/bad/binary/": lambda _: self.send(200, "application/octet-stream", random.Random(1).randbytes(4096)),
                "/bad/binary-as-html/": lambda _: self.send(200, "text/html", b"\x89PNG\r\n\x1a\n\x00\x00" * 400),
                "/bad/empty/": lambda _: self.send(200, HTML, b""),
                "/bad/loop-a/": lambda _: self.redirect("/bad/loop-b/"),
                "/bad/loop-b/": lambda _: self.redirect("/bad/loop-a/"),
                "/bad/always-500/": lambda _: self.send(500, "text/html", b"<h1>Internal Server Error</h1>"),
                "/bad/listed-500/": lambda _: self.send(500, "text/html", b"<h1>Internal Server Error</h1>"),
                "/bad/gone/": lambda _: self.send(404, "text/html", b"<h1>Not Found</h1>"),
                "/bad/trickle/": lambda _: self.trickle(),
                "/bad/silent/": lambda _: self.silent(),
                "/bad/bomb/": lambda _: self.send(200, "text/html", site.bomb, GZIPPED),
                "/bad/huge/": lambda _: self.huge(),
                HEADER_BOMB_PATH: lambda _: self.header_bomb(),
                "/bad/endless/": lambda _: self.endless(),
                "/bad/link-bomb/": lambda _: self.send(200, HTML, site.link_bomb),
                "/bad/novel/": lambda _: self.send(200, HTML, novel()),
                "/bad/many-links/": lambda _: self.send(200, HTML, site.many_links),
                "/bad/offsite/": lambda _: self.redirect(site.decoy_url + "stolen/"),
                "/bad/to-mailto/": lambda _: self.redirect("mailto:webmaster@example.go.th"),
                "/bad/to-ftp/": lambda _: self.redirect("ftp://127.0.0.1/pub/news.pdf"),
                "/bad/broken-gzip/": lambda _: self.send(200, HTML, NOT_GZIPPED, GZIPPED),
                "/bad/broken-deflate/": lambda _: self.send(200, HTML, NOT_GZIPPED, {"Content-Encoding": "deflate"}),
                "/calendar/": self.calendar,
                "/calendar/event/": lambda q: self.send(200, HTML, html_page("page", "event", [])),
                "/filter/": self.filter,
                INVALID_BYTES_PATH: lambda _: self.mirrored(lambda body: body.replace(INVALID_BYTE_MARK, b"\xff")),
                TIS620_PATH: lambda _: self.mirrored(in_windows_874),
                TIS620_GZIP_PATH: lambda _: self.mirrored(lambda body: gzip.compress(in_windows_874(body)), GZIPPED),
                CLOSED_EARLY_PATH: lambda _: self.mirrored(lambda body: body.replace(b"</header>", CLOSED_HEADER, 1)),
                UNCLOSED_TAGS_PATH: lambda _: self.mirrored(lambda body: body.replace(b"</header>", UNCLOSED_TAGS, 1)),
                UNCLOSED_DIVS_PATH: lambda _: self.mirrored(lambda body: body.replace(b"</header>", UNCLOSED_DIVS, 1)),
            }
            if path.startswith("/archive/page/"):
                return lambda _: self.archive(int(path.rstrip("/").rsplit("/", 1)[1]))
            return fixed.get(path)

        # -- plain answers ------------------------------------------------------------
        def send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def redirect(self, location: str) -> None:
            self.send(302, "text/html", b"", {"Location": location})

        def mirrored(
            self, change: Callable[[bytes], bytes] | None = None, headers: dict[str, str] | None = None
        ) -> None:
            response = site.mirror.respond(self.path, self.root(), self.headers.get("If-None-Match"))
            body = change(response.body) if change and response.status == 200 else response.body
            self.send(response.status, response.content_type, body, {**response.headers, **(headers or {})})

        def root(self) -> str:
            return f"http://{self.headers.get('Host', '127.0.0.1')}/"

        # -- discovery ----------------------------------------------------------------
        def robots(self) -> None:
            robots = site.mirror.respond("/robots.txt", self.root()).body
            sitemap = f"Sitemap: {self.root()}hostile-sitemap.xml\n".encode()
            self.send(200, "text/plain", robots + sitemap + ROBOTS_PADDING + ROBOTS_PAST_THE_LIMIT)

        def sitemap(self) -> None:
            named = [c.path for c in CASES if c.route in ("sitemap", "both")]
            named_here = [path if path == RELATIVE_LOCATION else f"{self.root()}{path[1:]}" for path in named]
            locations = [*MALFORMED_LOCATIONS, *named_here, site.decoy_url + ELSEWHERE]
            urls = "".join(f"<url><loc>{location}</loc></url>" for location in locations)
            xml = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            self.send(200, "application/xml", xml.encode())

        def home(self) -> None:
            listed = [c.path for c in CASES if c.route in ("listing", "both") and c.path != "/loop/a/a/a/"]
            links = "".join(f'<li><a href="{href}">{href}</a></li>' for href in [*listed, *TRAP_STARTS])
            more = f'<ul class="more">{links}</ul></body>'.encode()
            self.mirrored(lambda body: with_visit_ids(body.replace(b"</body>", more)))

        # -- faults on the wire ---------------------------------------------------------
        def truncated(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Length", "10000")
            self.end_headers()
            self.wfile.write(b"<html><body class='single-post'>" + b"x" * 2000)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)

        def not_http(self) -> None:
            self.wfile.write(b"HELLO THERE\r\n\r\n<html><body>no HTTP here</body></html>")
            self.close_connection = True

        def trickle(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(1000):
                    if site.stopping.wait(TRICKLE_SECONDS_PER_BYTE):
                        break
                    self.wfile.write(b"x")
                    self.wfile.flush()
            self.close_connection = True

        def silent(self) -> None:
            site.stopping.wait(SILENCE_SECONDS)
            self.close_connection = True

        def huge(self) -> None:
            """Declares 200 MB and would send them."""
            self.stream({"Content-Length": str(200 * 2**20)}, lambda chunk: chunk)

        def header_bomb(self) -> None:
            """A page of a few bytes after 25,000 header lines (1 MB); a server could send them forever."""
            self.send_response(200)
            for n in range(HEADER_BOMB_LINES):
                self.send_header(f"X-Padding-{n}", "x" * 24)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def endless(self) -> None:
            """Chunked, no length, never ends."""
            self.stream({"Transfer-Encoding": "chunked"}, lambda chunk: b"%x\r\n%s\r\n" % (len(chunk), chunk))

        def stream(self, headers: dict[str, str], frame: Callable[[bytes], bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            chunk = b"<p>" + b"y" * 65536 + b"</p>"
            with contextlib.suppress(OSError):
                while not site.stopping.is_set():
                    self.wfile.write(frame(chunk))
            self.close_connection = True

        def chain(self, step: int) -> None:
            if step < REDIRECT_CHAIN:
                self.redirect(f"/bad/chain/{step + 1}/")
            else:
                self.send(200, HTML, html_page("page", "end of the chain", []))

        # -- traps --------------------------------------------------------------------
        def calendar(self, query: dict[str, list[str]]) -> None:
            day = time.strptime(query.get("date", ["2024-01-01"])[0], "%Y-%m-%d")
            following = time.strftime("%Y-%m-%d", time.localtime(time.mktime(day) + 86400 + 3600))
            today = time.strftime("%Y-%m-%d", day)
            events = [f"/calendar/event/?date={today}&n={n}" for n in (1, 2)]
            page = html_page("archive date", f"calendar {today}", events, f"/calendar/?date={following}")
            self.send(200, HTML, page)

        def archive(self, number: int) -> None:
            same = [site.mirror.article_path(a) for a in site.mirror.articles[:5]]
            page = html_page("archive paged", f"archive page {number}", same, f"/archive/page/{number + 1}/")
            self.send(200, HTML, page)

        def filter(self, query: dict[str, list[str]]) -> None:
            keys = sorted(query)
            links = [
                f"/filter/?{'&'.join(f'{k}=1' for k in [*keys, extra])}" for extra in FILTER_KEYS if extra not in keys
            ]
            self.send(200, HTML, html_page("archive", "filter", links))

        def loop(self, path: str) -> None:
            self.send(200, HTML, html_page("archive", "loop", ["a/"]))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return HostileHandler


def make_decoy_handler(hits: list[str]) -> type[BaseHTTPRequestHandler]:
    """The decoy 'other host': it must never be asked anything; `hits` logs what it was asked."""

    class DecoyHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return DecoyHandler


@contextlib.contextmanager
def serving_hostile_site() -> Iterator[tuple[str, HostileSite, list[str]]]:
    """Yields the site's base URL (127.0.0.1), its state, and the decoy host's request log.

    The decoy listens on `localhost`, a host name the crawl of 127.0.0.1 must treat as another
    site (no DNS lookup of any outside name is involved)."""
    hits: list[str] = []
    decoy = ThreadingHTTPServer(("127.0.0.1", 0), make_decoy_handler(hits))
    decoy.daemon_threads = True
    site = HostileSite(f"http://localhost:{decoy.server_address[1]}/")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    server.daemon_threads = True
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (server, decoy)]
    for thread in threads:
        thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", site, hits
    finally:
        site.stopping.set()
        for s in (server, decoy):
            s.shutdown()
            s.server_close()
