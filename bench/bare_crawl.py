"""Baseline (a): a bare Scrapy crawl of the site's sitemap that discards every response."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from crawler.run import project_settings, unthrottle_loopback


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base_url + "wp-sitemap.xml"]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in Sitemap(response.body):
            yield scrapy.Request(entry["loc"], callback=self.parse if entry["loc"].endswith(".xml") else self.discard)

    def discard(self, response: Response) -> None:
        return None


def main() -> None:
    base_url = sys.argv[1]
    settings = project_settings(
        "/tmp/bare-unused.db", {"ITEM_PIPELINES": {}, "HTTPCACHE_ENABLED": False, "LOG_LEVEL": "WARNING"}
    )
    unthrottle_loopback(settings, [base_url])
    process = CrawlerProcess(settings)
    process.crawl(BareSpider, base_url=base_url)
    process.start()


if __name__ == "__main__":
    main()
