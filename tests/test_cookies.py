"""A site's cookies are kept up to GOVARCHIVE_MAX_COOKIES: past it, a new one is refused and
counted, and one already kept still changes (a session cookie comes first). A cookie past
GOVARCHIVE_MAX_COOKIE_BYTES is refused too: a kept one keeps its last value."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import BoundedCookies

PAGE = Request("http://127.0.0.1/news/1/")


def bounded(cookies: int, cookie_bytes: int = 4096) -> BoundedCookies:
    bounds = {"GOVARCHIVE_MAX_COOKIES": cookies, "GOVARCHIVE_MAX_COOKIE_BYTES": cookie_bytes}
    return BoundedCookies.from_crawler(get_crawler(settings_dict=bounds))


def answer(*cookies: str) -> Response:
    """An answer setting `cookies` (name=value) for the whole site."""
    return Response(PAGE.url, headers={"Set-Cookie": [f"{cookie}; Path=/" for cookie in cookies]})


def sent_with_next_request(middleware: BoundedCookies) -> str:
    request = Request("http://127.0.0.1/news/2/")
    middleware.process_request(request)
    return (request.headers.get("Cookie") or b"").decode()


def test_past_the_bound_a_new_cookie_is_refused_and_counted() -> None:
    middleware = bounded(2)
    middleware.process_response(PAGE, answer("session=1", "viewed-1=1", "viewed-2=1"))
    middleware.process_response(PAGE, answer("viewed-3=1"))
    assert sent_with_next_request(middleware) == "session=1; viewed-1=1"
    assert middleware.stats.get_value("govarchive/bounds/GOVARCHIVE_MAX_COOKIES") == 2


def test_a_cookie_already_kept_still_changes_at_the_bound() -> None:
    middleware = bounded(2)
    middleware.process_response(PAGE, answer("session=1", "viewed-1=1"))
    middleware.process_response(PAGE, answer("session=2"))
    assert sent_with_next_request(middleware) == "session=2; viewed-1=1"
    assert not middleware.stats.get_value("govarchive/bounds/GOVARCHIVE_MAX_COOKIES")


def test_a_cookie_past_the_size_bound_is_not_kept_and_its_last_value_stays() -> None:
    middleware = bounded(2, cookie_bytes=20)
    middleware.process_response(PAGE, answer("session=1", "recent=1"))
    middleware.process_response(PAGE, answer("recent=" + "1-" * 10, "big=" + "x" * 20))
    assert sent_with_next_request(middleware) == "session=1; recent=1"
    assert middleware.stats.get_value("govarchive/bounds/GOVARCHIVE_MAX_COOKIE_BYTES") == 2
