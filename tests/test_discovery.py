"""What the crawler reads from each discovery route's documents, as the mirror writes them
(mirror/formats.py writes what WordPress writes)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.test import get_crawler

from crawler import discovery, markup, settings
from crawler.items import NotArchived
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import UrlNewsSpider
from mirror import formats

ROOT = "http://127.0.0.1:8000/"
FILES = Path(__file__).parent / "files"
ITEMS = [
    {
        "id": n,
        "title": f"ข่าว {n}",
        "url": f"{ROOT}news-{n}/",
        "published": f"2023-01-0{n}T09:00:00+07:00",
        "category": {"name": "ข่าว"},
        "excerpt": "…",
    }
    for n in (1, 2)
]


def test_a_sitemap_index_names_sitemaps_and_a_urlset_names_pages_with_their_lastmod() -> None:
    index = discovery.sitemap_entries(formats.sitemap_index([f"{ROOT}post-sitemap.xml"]).encode(), 10_000, 50)
    named = [(f"{ROOT}a/", "2023-01-01"), (f"{ROOT}b/", None)]
    pages = discovery.sitemap_entries(formats.urlset(named).encode(), 10_000, 50)
    assert (index.index, index.locations) == (True, [(f"{ROOT}post-sitemap.xml", None)])
    assert (pages.index, pages.locations) == (False, named)


def test_a_sitemap_that_gives_every_page_one_lastmod_says_nothing_of_what_changed() -> None:
    """As a sitemap dated with the time it was written: believed, every known article was
    fetched again on every run. Two pages may well have changed together."""
    today = discovery.ONE_LASTMOD_ENTRIES * [f"{datetime.now(UTC):%Y-%m-%d}"]
    named = [(f"{ROOT}news-{n}/", lastmod) for n, lastmod in enumerate(today)]
    read = discovery.sitemap_entries(formats.urlset(named).encode(), 10_000, 50)
    assert read.locations == [(loc, None) for loc, _ in named]
    two = discovery.sitemap_entries(formats.urlset(named[:2]).encode(), 10_000, 50)
    assert two.locations == named[:2]


def test_a_gzipped_sitemap_reads_as_the_plain_one_and_is_cut_at_the_size_bound() -> None:
    plain = formats.urlset([(f"{ROOT}news-{n}/", None) for n in range(200)]).encode()
    read = discovery.sitemap_entries(gzip.compress(plain), len(plain), 500)
    assert read == discovery.sitemap_entries(plain, len(plain), 500)
    assert (len(read.locations), read.cut) == (200, False)
    with pytest.raises(_DecompressionMaxSizeExceeded):
        discovery.sitemap_entries(gzip.compress(plain), len(plain) // 2, 500)


def test_a_sitemap_naming_more_pages_than_a_page_may_gives_the_first_and_says_it_was_cut() -> None:
    named = [(f"{ROOT}news-{n}/", None) for n in range(200)]
    read = discovery.sitemap_entries(formats.urlset(named).encode(), 2**20, 150)
    assert (read.locations, read.cut) == (named[:150], True)
    exactly = discovery.sitemap_entries(formats.urlset(named).encode(), 2**20, 200)
    assert (len(exactly.locations), exactly.cut) == (200, False)


@pytest.mark.parametrize("feed", [formats.rss(ITEMS, "Site", "News", ROOT), formats.atom(ITEMS, "Site", ROOT)])
def test_rss_and_atom_feeds_name_their_articles(feed: str) -> None:
    response = XmlResponse(f"{ROOT}feed/", body=feed.encode(), encoding="utf-8")
    assert discovery.feed_links(response) == [item["url"] for item in ITEMS]


# What a PHP site that shows its errors prints before every page it writes, XML included.
PHP_NOTICES = (FILES / "plain" / "php-notices.html").read_bytes()
THAI_PAGES = [(f"{ROOT}ข่าว/{n}/", None) for n in (1, 2)]


def test_a_sitemap_or_feed_after_php_warnings_is_read_from_where_it_begins() -> None:
    sitemap = formats.urlset(THAI_PAGES).encode()
    assert discovery.sitemap_entries(PHP_NOTICES + sitemap, 2**20, 50).locations == THAI_PAGES
    feed = PHP_NOTICES + formats.rss(ITEMS, "Site", "News", ROOT).encode()
    assert discovery.feed_links(XmlResponse(f"{ROOT}feed/", body=feed)) == [item["url"] for item in ITEMS]


@pytest.mark.parametrize("declared", ["TIS-620", "UTF-16"])
def test_a_utf8_sitemap_declared_in_another_encoding_is_read_as_utf8(declared: str) -> None:
    """lxml believes the declaration: Thai addresses became mojibake, or nothing was read."""
    sitemap = formats.urlset(THAI_PAGES).replace('encoding="UTF-8"', f'encoding="{declared}"')
    assert discovery.sitemap_entries(sitemap.encode(), 2**20, 50).locations == THAI_PAGES


def test_a_sitemap_in_the_thai_encoding_it_declares_is_read_in_it() -> None:
    sitemap = formats.urlset(THAI_PAGES).replace('encoding="UTF-8"', 'encoding="TIS-620"')
    assert discovery.sitemap_entries(sitemap.encode("tis-620"), 2**20, 50).locations == THAI_PAGES


def crawl_spider(**overrides: object) -> NewsSpider:
    """A --url crawl's spider of ROOT, with our settings."""
    ours = {name: value for name, value in vars(settings).items() if name.startswith("GOVARCHIVE_")}
    return UrlNewsSpider.from_crawler(get_crawler(UrlNewsSpider, {**ours, **overrides}), base_url=ROOT)


def test_a_feed_naming_more_pages_than_a_page_may_is_followed_up_to_the_bound() -> None:
    spider = crawl_spider(GOVARCHIVE_MAX_PAGE_LINKS=3)
    items = [{**ITEMS[0], "id": n, "url": f"{ROOT}news-{n}/"} for n in range(5)]
    feed = formats.rss(items, "Site", "News", ROOT).encode()
    named = list(spider.parse_feed(XmlResponse(f"{ROOT}feed/", body=feed, encoding="utf-8")))
    refused = [(item.url, item.kind, item.bound) for item in named if isinstance(item, NotArchived)]
    assert refused == [(f"{ROOT}feed/", "too_large", "GOVARCHIVE_MAX_PAGE_LINKS")]
    assert [item.url for item in named if isinstance(item, Request)] == [f"{ROOT}news-{n}/" for n in range(3)]


def test_a_feed_naming_a_broken_address_records_it_and_follows_the_rest() -> None:
    items = [{**ITEMS[0], "url": url} for url in (f"{ROOT}news-1/", "http://[::1/news/", f"{ROOT}news-2/")]
    feed = formats.rss(items, "Site", "News", ROOT).encode()
    named = list(crawl_spider().parse_feed(XmlResponse(f"{ROOT}feed/", body=feed, encoding="utf-8")))
    assert [item.url for item in named if isinstance(item, Request)] == [f"{ROOT}news-1/", f"{ROOT}news-2/"]
    assert [(item.url, item.kind) for item in named if isinstance(item, NotArchived)] == [
        ("http://[::1/news/", "bad_url")
    ]


def test_an_api_post_whose_link_is_not_text_is_passed_over() -> None:
    posts = [{"link": 5}, {"link": ["x"]}, {"link": f"{ROOT}?p=1"}]
    response = TextResponse(f"{ROOT}wp-json/wp/v2/posts", body=json.dumps(posts).encode(), encoding="utf-8")
    assert discovery.api_links(response) == [f"{ROOT}?p=1"]


def test_the_rest_api_names_its_posts_and_pages_and_an_answer_not_json_is_no_api() -> None:
    articles = [
        {"id": n, "published": "2023-01-01T09:00:00", "slug": f"s{n}", "title": "t", "paragraphs": ["p"]}
        for n in range(25)
    ]
    status, body, headers = formats.api_posts(articles, lambda a: f"{ROOT}?p={a['id']}", {"page": ["3"]})
    response = TextResponse(f"{ROOT}wp-json/wp/v2/posts?page=3", body=body.encode(), headers=headers, encoding="utf-8")
    assert (status, discovery.api_links(response), discovery.api_pages(response)) == (
        200,
        [f"{ROOT}?p={n}" for n in range(20, 25)],
        3,
    )
    not_api = TextResponse(f"{ROOT}wp-json/wp/v2/posts", body=b"<html>Not found</html>", encoding="utf-8")
    assert discovery.api_links(not_api) is None
    assert discovery.api_links(TextResponse(ROOT, body=json.dumps({"code": "x"}).encode(), encoding="utf-8")) == []


def test_an_api_answer_after_php_warnings_names_its_posts() -> None:
    posts = [{"link": f"{ROOT}?p=1"}, {"link": f"{ROOT}?p=2"}]
    body = PHP_NOTICES + json.dumps(posts).encode()
    response = TextResponse(f"{ROOT}wp-json/wp/v2/posts", body=body, encoding="utf-8")
    assert discovery.api_links(response) == [f"{ROOT}?p=1", f"{ROOT}?p=2"]


def test_an_api_answer_nested_past_what_python_parses_is_no_api_and_a_bad_page_count_is_one() -> None:
    nested = TextResponse(f"{ROOT}wp-json/wp/v2/posts", body=b"[" * 2000 + b"]" * 2000, encoding="utf-8")
    assert discovery.api_links(nested) is None
    for total in (b"many", b"-1", b""):
        response = TextResponse(ROOT, body=b"[]", headers={"X-WP-TotalPages": total}, encoding="utf-8")
        assert discovery.api_pages(response) == 1


def test_a_listing_separates_next_pages_and_page_numbers_from_its_content() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head><body>'
        '<a href="/news-1/">one</a><a href="/page/2/">2</a><a class="next" href="/page/2/">next</a>'
        '<a href="http://localhost:9/x/">away</a></body></html>'
    )
    response = HtmlResponse(ROOT, body=html.encode(), encoding="utf-8")
    found = discovery.listing(response, LinkExtractor(unique=True), on_site, 1000)
    assert (found.links, found.next_pages, found.content) == (
        [f"{ROOT}news-1/", f"{ROOT}page/2/"],
        [f"{ROOT}page/2/"],
        [f"{ROOT}news-1/"],
    )
    assert discovery.announced_feeds(response) == [f"{ROOT}feed/"]


def test_a_listing_closed_early_by_its_header_template_still_names_its_posts() -> None:
    """libxml2 drops what follows </html>; a browser, and so the crawler, reads on."""
    body = (FILES / "plain" / "closed-early-listing.html").read_bytes()
    response = HtmlResponse(ROOT, body=body, encoding="utf-8")
    found = discovery.listing(response, LinkExtractor(unique=True), on_site, 1000)
    assert found.content == [ROOT, f"{ROOT}news/first-post/", f"{ROOT}news/second-post/"]
    assert found.next_pages == [f"{ROOT}news/page/2/"]
    assert response.body == body  # the response as fetched, for the archive, is left as it was


@pytest.mark.parametrize("fixture", ["deeply-nested-listing.html", "unclosed-divs-listing.html"])
def test_a_listing_nested_past_libxml2s_depth_limit_still_names_its_posts(fixture: str) -> None:
    """2,200 <font> or <div> tags opened and never closed: libxml2 stops at 2,048 levels, a
    browser reads on."""
    body = (FILES / "plain" / fixture).read_bytes()
    response = HtmlResponse(ROOT, body=body, encoding="utf-8")
    found = discovery.listing(response, LinkExtractor(unique=True), on_site, 1000)
    assert found.content == [f"{ROOT}news/first-post/", f"{ROOT}news/second-post/"]
    assert found.next_pages == [f"{ROOT}news/page/2/"]


def test_a_listing_with_more_links_than_a_page_may_is_read_up_to_the_bound_before_parsing() -> None:
    """A page of a quarter of a million links held the crawl for 40 s and 1.3 GB: only the
    first anchors are parsed at all."""
    body = (FILES / "plain" / "many-links-listing.html").read_bytes()
    response = HtmlResponse(ROOT, body=body, encoding="utf-8")
    found = discovery.listing(response, LinkExtractor(unique=True), on_site, 100)
    assert found.cut
    assert found.content == [f"{ROOT}news/{n}/" for n in range(100)]
    whole = discovery.listing(response, LinkExtractor(unique=True), on_site, 1000)
    assert not whole.cut
    assert len(whole.content) == 300


def on_site(url: str) -> bool:
    return url.startswith(ROOT)


def test_a_listing_that_ends_where_it_should_is_read_as_fetched_not_parsed_again() -> None:
    body = b"<html><body><a href='/a/'>a</a></body></html>\n<!-- cached -->\n"
    response = HtmlResponse(ROOT, body=body, encoding="utf-8")
    assert markup.readable_response(response) is response


def test_a_sitemap_location_written_as_a_path_names_the_page_on_the_sitemaps_site() -> None:
    sitemap = f"{ROOT}wp-sitemap-posts-post-1.xml"
    assert discovery.page_location(sitemap, "/news/first-post/") == f"{ROOT}news/first-post/"
    assert discovery.page_location(sitemap, "news/first-post/") == f"{ROOT}news/first-post/"
    assert discovery.page_location(sitemap, f"{ROOT}news/x/") == f"{ROOT}news/x/"
    for written in ("//127.0.0.1/news/no-scheme/", "http://[::1/news/ipv6/"):  # recorded as bad addresses
        assert discovery.page_location(sitemap, written) == written


def test_a_listings_print_views_and_send_to_a_friend_forms_are_not_followed() -> None:
    """Joomla links each post's print view and mail form (its bare template, tmpl=component):
    each print view would be the post again under another address."""
    body = (FILES / "plain" / "joomla25-listing.html").read_bytes()
    response = HtmlResponse(ROOT, body=body, encoding="utf-8")
    found = discovery.listing(response, LinkExtractor(deny=discovery.DENY, unique=True), on_site, 1000)
    assert f"{ROOT}index.php/news/12-training" in found.content
    assert [url for url in found.links if "tmpl=" in url or "mailto" in url or "print=" in url] == []
