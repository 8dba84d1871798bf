"""Only article pages are archived: listings, tag pages and static pages are told apart."""

import re
from collections.abc import Callable

import pytest
from parsel import Selector

from crawler.pagetype import kind_of, page_kind, quick_kind
from tests.conftest import read_fixture


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("article-seed.html", "article"),
        ("article-english.html", "article"),
        ("article-thai-digits-date-only.html", "article"),
        ("listing-home.html", "listing"),
        ("listing-category-page-2.html", "listing"),
        ("listing-tag.html", "listing"),
        ("page-about.html", "other"),
    ],
)
def test_wordpress_pages_are_classified(fixture: str, kind: str) -> None:
    assert page_kind(Selector(text=read_fixture("cdd-mirror", fixture)), "https://www.cdd.go.th/x/") == kind


def test_declared_article_url_pattern_decides_when_the_page_gives_no_signal() -> None:
    bare = Selector(text=read_fixture("plain", "no-signals.html"))
    pattern = re.compile(r"/news/\d+$")
    assert page_kind(bare, "https://example.go.th/news/12", pattern) == "article"
    assert page_kind(bare, "https://example.go.th/about", pattern) == "listing"
    assert page_kind(bare, "https://example.go.th/news/12") == "other"


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("article-seed.html", "article"),
        ("page-about.html", "other"),
        ("listing-home.html", None),  # listings are parsed anyway, for their links
    ],
)
def test_quick_kind_reads_the_body_class_without_parsing(fixture: str, kind: str | None) -> None:
    assert quick_kind(read_fixture("cdd-mirror", fixture).encode()) == kind


def test_a_static_front_page_is_a_listing_on_both_paths() -> None:
    """WordPress marks a static front page both `home` (listing) and `page` (other)."""
    html = read_fixture("plain", "static-front-page.html")
    assert quick_kind(html.encode()) is None
    assert page_kind(Selector(text=html), "https://www.cdd.go.th/") == "listing"


def test_the_crawl_parses_an_article_page_only_when_its_body_classes_do_not_settle_it() -> None:
    """The extraction worker parses it anyway: a second parse on the crawl's reactor cost 1 ms."""
    asked: list[bool] = []

    def parsed(html: str) -> Callable[[], Selector]:
        return lambda: asked.append(True) or Selector(text=html)  # type: ignore[func-returns-value]

    seed = read_fixture("cdd-mirror", "article-seed.html")
    assert kind_of(seed.encode(), "https://www.cdd.go.th/x/", None, parsed(seed)) == "article"
    assert asked == []
    bare = read_fixture("plain", "no-signals.html")
    assert kind_of(bare.encode(), "https://example.go.th/news/12", re.compile(r"/news/\d+$"), parsed(bare)) == "article"
    assert asked == [True]
