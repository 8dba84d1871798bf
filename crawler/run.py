"""Run spiders in-process with the project settings; report each site's figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.progress import summary
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import GenericNewsSpider

QUIET_LOGGERS = ("scrapy.middleware", "scrapy.addons", "scrapy.crawler", "scrapy.utils.log")


class UnknownSiteError(LookupError):
    pass


@dataclass(frozen=True)
class SiteResult:
    site: str
    finish_reason: str
    figures: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished" and self.figures["pages"] > 0


def project_settings(db_path: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("GOVARCHIVE_DB", db_path, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def site_classes(settings: Settings) -> dict[str, type[NewsSpider]]:
    """Registered sites: Scrapy's spider loader is the registry."""
    loader = SpiderLoader.from_settings(settings)
    names = [name for name in sorted(loader.list()) if name != GenericNewsSpider.name]
    return {name: cast(type[NewsSpider], loader.load(name)) for name in names}


def unthrottle_loopback(settings: Settings, urls: list[str]) -> None:
    """Our own loopback servers need no politeness delay; real sites always get it."""
    loopback = settings.getlist("GOVARCHIVE_UNTHROTTLED_HOSTS")
    if urls and all(urlsplit(u).hostname in loopback for u in urls):
        settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")


def crawl(
    db_path: str,
    sites: list[str] | None = None,
    url: str | None = None,
    spider_args: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> list[SiteResult]:
    """Crawl registered `sites` and/or the site at `url` into the archive at `db_path`."""
    settings = project_settings(db_path, overrides)
    registry = site_classes(settings)
    unknown = [s for s in sites or [] if s not in registry]
    if unknown:
        raise UnknownSiteError(f"unknown site(s) {', '.join(unknown)}; `govarchive sites` lists them")
    jobs: list[tuple[type[NewsSpider], dict[str, Any]]] = [(registry[s], dict(spider_args or {})) for s in sites or []]
    if url:
        jobs.append((GenericNewsSpider, {"base_url": url, **(spider_args or {})}))
    unthrottle_loopback(settings, [kw.get("base_url") or cls.base_url for cls, kw in jobs])
    process = CrawlerProcess(settings)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    crawlers: list[Crawler] = []
    for spider_cls, kwargs in jobs:
        crawler = process.create_crawler(spider_cls)
        crawlers.append(crawler)
        process.crawl(crawler, **kwargs)
    process.start()
    return [_result(c) for c in crawlers]


def _result(crawler: Crawler) -> SiteResult:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    name = crawler.spider.name if crawler.spider else "?"
    return SiteResult(name, str(stats.get("finish_reason", "not started")), summary(stats))
