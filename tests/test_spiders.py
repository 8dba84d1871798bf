"""Every registered site is a complete declaration; an incomplete one fails with a clear message."""

import pytest

from crawler.run import project_settings, site_classes
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
