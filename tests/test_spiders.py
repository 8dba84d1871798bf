"""Every registered site is a complete declaration; an incomplete one fails with a clear message;
a request Scrapy drops settles its page, counted a duplicate when it was a redirect; a callback's error
is recorded as its page's failure, a budget's stop and HTTP errors left to Scrapy."""

from collections.abc import Iterator
from typing import cast

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.items import NotArchived
from crawler.run import project_settings, site_classes
from crawler.spiders.accounting import CallbackErrors
from crawler.spiders.base import ROUTES, IncompleteSiteError
from crawler.spiders.cms import UrlNewsSpider, WordPressNewsSpider

SITES = site_classes(project_settings(":memory:"))


def test_cdd_is_registered() -> None:
    assert "cdd" in SITES


@pytest.mark.parametrize("name", sorted(SITES))
def test_site_declaration_is_complete(name: str) -> None:
    spider = SITES[name]()
    assert spider.agency and spider.agency_en
    assert spider.base_url.startswith("https://")
    assert set(spider.routes) <= set(ROUTES)
    assert spider.allowed_domains == [spider.base_url.split("/")[2]]
    assert spider.extraction_rules.timezone == "Asia/Bangkok"
    assert spider.platform_notes, "say what is known of the platform, and how it was checked"


def test_missing_declaration_names_what_to_set() -> None:
    class Half(WordPressNewsSpider):
        name = "half"
        agency = "กรมตัวอย่าง"

    with pytest.raises(IncompleteSiteError, match="must declare base_url"):
        Half()


def test_generic_spider_takes_the_site_at_run_time() -> None:
    spider = UrlNewsSpider(base_url="http://127.0.0.1:8765")
    assert spider.base_url == "http://127.0.0.1:8765/"
    assert spider.site_id == "127.0.0.1:8765"
    assert spider.on_site("http://127.0.0.1:8765/news-1/") and not spider.on_site("https://facebook.com/x")


def dropping_spider() -> UrlNewsSpider:
    ours = {name: value for name, value in vars(settings).items() if name.startswith("GOVARCHIVE_")}
    crawler = get_crawler(UrlNewsSpider, ours)
    return cast(UrlNewsSpider, UrlNewsSpider.from_crawler(crawler, base_url="http://127.0.0.1:8765"))


def only_request(requests: Iterator[Request | NotArchived]) -> Request:
    request = next(requests)
    assert isinstance(request, Request)
    return request


def test_a_redirect_to_a_page_fetched_already_is_counted_a_duplicate() -> None:
    spider = dropping_spider()
    url = "http://127.0.0.1:8765/old-news/"
    request = only_request(spider.page_request(url, "sitemap"))
    redirected = request.replace(url="http://127.0.0.1:8765/news-1/", meta={"redirect_urls": [url]})
    spider.on_dropped(redirected, spider)
    assert spider.ledger.unsettled() == []
    assert spider.crawler.stats.get_value("govarchive/skipped/duplicate") == 1


def test_a_page_named_again_is_settled_but_not_counted() -> None:
    spider = dropping_spider()
    request = only_request(spider.page_request("http://127.0.0.1:8765/news-1/", "sitemap"))
    spider.on_dropped(request, spider)
    assert spider.ledger.unsettled() == []
    assert spider.crawler.stats.get_value("govarchive/skipped/duplicate") is None


def test_a_dropped_discovery_request_settles_no_page() -> None:
    spider = dropping_spider()
    request = only_request(spider.discover("http://127.0.0.1:8765/category/news/", spider.parse_listing))
    spider.on_dropped(request, spider)
    assert spider.ledger.settled == set()


def test_a_budget_or_an_http_error_raised_in_a_callback_is_left_to_scrapy() -> None:
    spider = dropping_spider()
    errors = CallbackErrors.from_crawler(spider.crawler)
    spider.crawler.spider = spider
    response = HtmlResponse("http://127.0.0.1:8765/news-1/", body=b"<html></html>")
    assert errors.process_spider_exception(response, CloseSpider("budget")) is None
    assert errors.process_spider_exception(response, HttpError(response)) is None
    recorded = list(errors.process_spider_exception(response, KeyError("x")) or [])
    assert [(item.kind, item.reason) for item in recorded] == [("other", "crawler error: KeyError: 'x'")]


def test_a_page_named_under_two_sessions_is_requested_once_without_either() -> None:
    spider = dropping_spider()
    first = only_request(spider.page_request("http://127.0.0.1:8765/news/a/?PHPSESSID=a1b2c3d4", "listing"))
    assert first.url == "http://127.0.0.1:8765/news/a/"
    assert list(spider.page_request("http://127.0.0.1:8765/news/a/?PHPSESSID=e5f6a7b8", "listing")) == []
