"""Run crawls in-process: one lock, one recorded run and one summary per site."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archive.db import open_archive
from archive.history import known_pages
from archive.store import ArchiveWriter
from crawler.incremental import Revisits
from crawler.locks import AlreadyRunningError, SiteLock
from crawler.progress import summary
from crawler.spiders.base import NewsSpider
from crawler.spiders.cms import GenericNewsSpider

QUIET_LOGGERS = ("scrapy.middleware", "scrapy.addons", "scrapy.crawler", "scrapy.utils.log")
FAILURE_RATE_LIMIT = 0.2  # failures / (articles + failures) above this fails the run
log = logging.getLogger("govarchive.run")


class UnknownSiteError(LookupError):
    pass


@dataclass
class SiteResult:
    site: str
    finish_reason: str
    figures: dict[str, int] = field(default_factory=dict)
    status: str = "ok"  # ok | failed | locked
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Job:
    spider_cls: type[NewsSpider]
    kwargs: dict[str, Any]
    site: str
    lock: SiteLock | None = None
    run_id: int | None = None
    crawler: Crawler | None = None


def project_settings(db_path: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("GOVARCHIVE_DB", db_path, priority="cmdline")
    settings.set("HTTPCACHE_DIR", str(Path(db_path).resolve().parent / "httpcache"), priority="cmdline")
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


def plan(settings: Settings, sites: list[str], urls: list[str], spider_args: dict[str, Any]) -> list[Job]:
    registry = site_classes(settings)
    unknown = [s for s in sites if s not in registry]
    if unknown:
        raise UnknownSiteError(f"unknown site(s) {', '.join(unknown)}; `govarchive sites` lists them")
    jobs = [Job(registry[s], dict(spider_args), s) for s in sites]
    for url in urls:
        kwargs = {"base_url": url, **spider_args}
        jobs.append(Job(GenericNewsSpider, kwargs, GenericNewsSpider(base_url=url).site_id))
    return jobs


def crawl(
    db_path: str,
    sites: list[str] | None = None,
    urls: list[str] | None = None,
    spider_args: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    refresh: bool = False,
) -> list[SiteResult]:
    """Crawl registered `sites` and/or the sites at `urls` into the archive at `db_path`.

    Sites run side by side in one process; one failing does not stop the others."""
    settings = project_settings(db_path, overrides)
    jobs = plan(settings, sites or [], urls or [], spider_args or {})
    unthrottle_loopback(settings, [job.kwargs.get("base_url") or job.spider_cls.base_url for job in jobs])
    writer = ArchiveWriter(open_archive(db_path))
    results: list[SiteResult] = []
    process = CrawlerProcess(settings)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    started: list[Job] = []
    for job in jobs:
        job.lock = SiteLock(db_path, job.site)
        try:
            job.lock.acquire()
        except AlreadyRunningError as error:
            results.append(SiteResult(job.site, "locked", status="locked", message=str(error)))
            continue
        writer.close_abandoned_runs(job.site, os.getpid())
        job.run_id = writer.start_run(job.site, os.getpid())
        revisits = Revisits(known_pages(writer.db, job.site), refresh, settings.getfloat("GOVARCHIVE_REVISIT_DAYS"))
        job.crawler = process.create_crawler(job.spider_cls)
        process.crawl(job.crawler, revisits=revisits, crawl_run=job.run_id, **job.kwargs)
        started.append(job)
    if started:
        process.start()
    for job in started:
        results.append(_finish(writer, job))
    writer.db.close()
    return results


def _finish(writer: ArchiveWriter, job: Job) -> SiteResult:
    assert job.crawler is not None and job.run_id is not None and job.lock is not None
    stats = job.crawler.stats.get_stats() if job.crawler.stats else {}
    figures = summary(stats)
    reason = str(stats.get("finish_reason", "not started"))
    status, message = judge(reason, figures)
    errors = {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("govarchive/http_errors/")}
    writer.finish_run(
        job.run_id,
        status,
        {
            "pages": figures["pages"],
            "downloads": figures["downloads"],
            "not_modified": figures["not_modified"],
            "new": figures["articles_new"],
            "updated": figures["articles_updated"],
            "unchanged": figures["articles_unchanged"],
            "removed": figures["removed"],
            "failures": figures["failures"],
            "http_errors": json.dumps(errors),
            "stop_reason": message or reason,
        },
    )
    job.lock.release()
    return SiteResult(job.site, reason, figures, status, message)


def judge(reason: str, figures: dict[str, int]) -> tuple[str, str]:
    """A run fails when the site gave nothing, the crawl aborted, or too many pages failed."""
    if reason not in ("finished", "closespider_timeout", "closespider_pagecount", "closespider_itemcount"):
        return "failed", f"crawl ended: {reason}"
    if figures["pages"] == 0:
        return "failed", "no page could be fetched from the site"
    if figures["lost"]:
        lost = figures["lost"]
        return "failed", f"{lost} pages could not be archived (errors in the log); the next run fetches them again"
    done = figures["articles_new"] + figures["articles_updated"] + figures["articles_unchanged"]
    if figures["failures"] and figures["failures"] / (done + figures["failures"]) > FAILURE_RATE_LIMIT:
        return "failed", f"{figures['failures']} failures for {done} articles (over {FAILURE_RATE_LIMIT:.0%})"
    return "ok", ""
