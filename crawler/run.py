"""Run crawls in-process: one lock, one recorded run and one summary per site."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archive.db import open_archive
from archive.history import known_attachments, known_pages, known_traps, owed_attachments
from archive.store import ArchiveWriter
from crawler import header_bound
from crawler.budget import BUDGET_STOPS, PAGE_BUDGET_STOP
from crawler.discovery import USUAL_SITEMAPS
from crawler.incremental import Revisits
from crawler.kinds import (
    BUDGET,
    CONNECTION,
    DISK_FULL,
    FINISHED,
    FRONTIER_LOST,
    OTHER,
    ROBOTS,
    STOPPED,
    WRITER_GONE,
    bound_counter,
)
from crawler.locks import AlreadyRunningError, SiteLock
from crawler.outcomes import is_disk_full
from crawler.pending import PAST_BUDGET
from crawler.progress import bar_logging, summary
from crawler.robots import ROBOTS_UNREACHABLE
from crawler.site_down import SITE_DOWN
from crawler.spiders.base import SITEMAPS_NAMING, SITEMAPS_SOUGHT, NewsSpider
from crawler.spiders.cms import UrlNewsSpider
from crawler.traps import Trap

# failures (or removals) / (articles + them) above this fails the run; bounds, dead links on listings do not count
FAILURE_RATE_LIMIT = 0.2
NO_ARTICLE = (  # a news site's crawl that reached no article, archived or new: the site moved, or its routes
    "no article found among the {pages} pages fetched (the log says which routes gave nothing): "
    "check the address and the site's routes (--routes)"
)
NOTHING_ALLOWED = "no article found, and robots.txt forbids {forbidden} of the pages and routes the crawl would fetch"
TOO_MANY_FAILED = "{count} of {total} articles failed (more than {limit:.0%} fails a run)"
TOO_MANY_REMOVED = (  # a site answering 404 at every address (a broken deployment) marks every known article removed
    "{count} of {total} archived articles answered 404/410 (more than {limit:.0%} fails a run): "
    "a site that answers so everywhere is likely broken; they are marked removed until they answer again"
)
SHUTDOWN = "shutdown"  # Scrapy's finish reason after SIGTERM or SIGINT
log = logging.getLogger("govarchive.run")


class UnknownSiteError(LookupError):
    pass


@dataclass
class SiteResult:
    site: str
    finish_reason: str
    figures: dict[str, int] = field(default_factory=dict)
    status: str = "ok"  # ok | failed | stopped | locked
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class SiteCrawl:
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
    names = [name for name in sorted(loader.list()) if name != UrlNewsSpider.name]
    return {name: cast(type[NewsSpider], loader.load(name)) for name in names}


def unthrottle_loopback(settings: Settings, urls: list[str]) -> None:
    """Our own loopback servers need no politeness delay; real sites always get it."""
    loopback = settings.getlist("GOVARCHIVE_UNTHROTTLED_HOSTS")
    if urls and all(urlsplit(u).hostname in loopback for u in urls):
        settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")


class BelowLevel(logging.Filter):
    def __init__(self, level: str) -> None:
        super().__init__()
        self.level = logging.getLevelName(level)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def quiet_process(settings: Settings) -> CrawlerProcess:
    """A CrawlerProcess whose own loggers speak at GOVARCHIVE_SCRAPY_LOG_LEVEL. Scrapy sets
    them to DEBUG as it starts and logs its banner at once, so the banner's logger is
    filtered beforehand and the rest set afterwards. Its responses' headers are bounded
    (crawler/header_bound.py)."""
    header_bound.install()
    level = settings.get("GOVARCHIVE_SCRAPY_LOG_LEVEL")
    banner = logging.getLogger("scrapy.utils.log")
    for old in [f for f in banner.filters if isinstance(f, BelowLevel)]:
        banner.removeFilter(old)
    banner.addFilter(BelowLevel(level))
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(level)
    return process


def plan(settings: Settings, sites: list[str], urls: list[str], spider_args: dict[str, Any]) -> list[SiteCrawl]:
    registry = site_classes(settings)
    unknown = [s for s in sites if s not in registry]
    if unknown:
        raise UnknownSiteError(f"unknown site(s) {', '.join(unknown)}; `govarchive sites` lists them")
    jobs = [SiteCrawl(registry[s], dict(spider_args), s) for s in sites]
    for url in urls:
        kwargs = {"base_url": url, **spider_args}
        jobs.append(SiteCrawl(UrlNewsSpider, kwargs, UrlNewsSpider(base_url=url).site_id))
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
    process = quiet_process(settings)
    started: list[SiteCrawl] = []
    for job in jobs:
        job.lock = SiteLock(db_path, job.site)
        try:
            job.lock.acquire()
        except AlreadyRunningError as error:
            results.append(SiteResult(job.site, "locked", status="locked", message=str(error)))
            continue
        writer.close_abandoned_runs(job.site, os.getpid())
        job.run_id = writer.start_run(job.site, os.getpid())
        revisit_days = settings.getfloat("GOVARCHIVE_REVISIT_DAYS")
        known, files = known_pages(writer.db, job.site), known_attachments(writer.db, job.site)
        revisits = Revisits(known, refresh, revisit_days, files, owed_attachments(writer.db, job.site))
        since = (datetime.now(UTC) - timedelta(days=revisit_days)).isoformat()
        traps = {pattern: Trap(*found) for pattern, found in known_traps(writer.db, job.site, since).items()}
        job.crawler = process.create_crawler(job.spider_cls)
        process.crawl(job.crawler, revisits=revisits, crawl_run=job.run_id, known_traps=traps, **job.kwargs)
        started.append(job)
    if started:
        with bar_logging(settings):
            process.start()
    for job in started:
        try:
            results.append(_finish(writer, job))
        except (OSError, sqlite3.OperationalError) as error:
            if not is_disk_full(error):
                raise
            # The run stays 'running' in crawl_runs; the next run marks it killed.
            results.append(SiteResult(job.site, DISK_FULL, {}, "failed", judge(DISK_FULL, {})[1]))
    writer.db.close()
    return results


def _finish(writer: ArchiveWriter, job: SiteCrawl) -> SiteResult:
    assert job.crawler is not None and job.run_id is not None and job.lock is not None
    stats = job.crawler.stats.get_stats() if job.crawler.stats else {}
    reason = str(stats.get("finish_reason", "not started"))
    spider = job.crawler.spider
    unsettled: list[str] = []
    traps: dict[str, tuple[str, str]] = {}
    if isinstance(spider, NewsSpider):
        unsettled = spider.ledger.unsettled()
        traps = {p: (t.setting, t.reason) for p, t in spider.traps.new.items()}
    result = close_run(writer, job.run_id, job.site, reason, stats, unsettled, traps)
    job.lock.release()
    return result


def close_run(
    writer: ArchiveWriter,
    run_id: int,
    site: str,
    reason: str,
    stats: dict[str, Any],
    unsettled: list[str],
    traps: dict[str, tuple[str, str]],
) -> SiteResult:
    """Record a run's end: the traps it found, the pages it named and never fetched (each with
    why), its figures and its verdict. One-host and distributed runs (crawler/ingest.py) alike."""
    if reason == FINISHED and stats.get(PAST_BUDGET):  # it ended as its page budget would have stopped it
        reason = PAGE_BUDGET_STOP
    if reason == FINISHED and stats.get(SITEMAPS_SOUGHT) and not stats.get(SITEMAPS_NAMING):
        usual = ", ".join(USUAL_SITEMAPS)
        log.warning("%s: no sitemap found: robots.txt's Sitemap: lines, else %s: none named a page", site, usual)
    writer.record_traps(site, traps, run_id)
    _account_for_unfetched(writer, site, run_id, unsettled, reason, stats)
    figures = summary(stats)
    status, message = judge(reason, figures)
    writer.finish_run(
        run_id,
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
            "lost": figures["lost"],
            "http_errors": json.dumps(_counters(stats, "http_errors")),
            "failure_kinds": json.dumps(_counters(stats, "failed")),
            "skipped": json.dumps(_counters(stats, "skipped")),
            "bounds": json.dumps(_counters(stats, "bounds")),
            "attachments": json.dumps(_counters(stats, "attachments")),
            "stop_reason": message or _stop_reason(reason, stats),
        },
    )
    return SiteResult(site, reason, figures, status, message)


def _stop_reason(reason: str, stats: dict[str, Any]) -> str:
    stopped_by = BUDGET_STOPS.get(reason)
    if stopped_by is None:
        return reason
    left = stats.get(bound_counter(stopped_by), 0)
    return f"stopped at {stopped_by}: {left} pages named but not fetched are left for the next run"


def _counters(stats: dict[str, Any], group: str) -> dict[str, int]:
    prefix = f"govarchive/{group}/"
    return {k.removeprefix(prefix): int(v) for k, v in sorted(stats.items()) if k.startswith(prefix)}


@dataclass(frozen=True)
class SiteEnd:
    """A crawl the site ended (not a budget, not us): the run's verdict, and what its pages
    left unfetched are recorded as."""

    message: str
    kind: str
    why: str


SITE_ENDS = {
    SITE_DOWN: SiteEnd(
        "the site stopped answering (see the log); the next run fetches what is left",
        CONNECTION,
        "not fetched: the site had stopped answering, and its crawl ended",
    ),
    ROBOTS_UNREACHABLE: SiteEnd(
        "its robots.txt could not be read (no answer, or a server error: see the log), so nothing was fetched "
        "(RFC 9309); check the address, or let the next run ask again",
        ROBOTS,
        "not fetched: the site's robots.txt could not be read (RFC 9309: forbids all)",
    ),
}


# Crawls ended by a fault on our side, where every later page would be lost too: the verdict.
OUR_FAULTS = {
    DISK_FULL: "the disk is full: free space, then run again (the archive is intact; what is missing comes next)",
    WRITER_GONE: (
        "the archive writer process died (see the log; the system log names the OOM killer if it was that): "
        "what it had committed is intact, and the next run fetches the rest"
    ),
    FRONTIER_LOST: (
        "the frontier (Redis) lost the run's keys, restarted without its data or flushed: what was written "
        "is intact, and the next run fetches the rest"
    ),
}


def _account_for_unfetched(
    writer: ArchiveWriter, site: str, run_id: int, unsettled: list[str], reason: str, stats: dict[str, Any]
) -> None:
    """Pages a route named that the run ended without fetching: each recorded with why, and
    counted in the run's figures."""
    writer.replace_left_pages(site, BUDGET, run_id)
    if not unsettled:
        return
    setting = BUDGET_STOPS.get(reason)
    if setting is not None:
        kind, why = BUDGET, f"budget: the crawl stopped at {setting} before fetching it"
        _add(stats, bound_counter(setting), len(unsettled))
    elif reason == SHUTDOWN:
        kind, why = STOPPED, "stopped: the crawl was asked to stop (SIGTERM or SIGINT) before fetching it"
    elif (end := SITE_ENDS.get(reason)) is not None:
        kind, why = end.kind, end.why
    else:  # the crawl ended without an answer for it: a fault of ours, never silently
        kind, why = OTHER, f"not fetched: the crawl ended ({reason}) without an answer for it"
        _add(stats, "govarchive/lost", len(unsettled))
    writer.record_unfetched(unsettled, why, site, kind, run_id)
    _add(stats, "govarchive/failures", len(unsettled))
    _add(stats, f"govarchive/failed/{kind}", len(unsettled))


def _add(stats: dict[str, Any], key: str, count: int) -> None:
    stats[key] = stats.get(key, 0) + count


def judge(reason: str, figures: dict[str, int]) -> tuple[str, str]:
    """A run fails when the site gave nothing, the crawl aborted, or too many pages failed;
    it is `stopped` when asked to stop. A budget that ends a crawl is planned: `ok`."""
    if reason == SHUTDOWN:
        return "stopped", "asked to stop (SIGTERM or SIGINT); the next run fetches what is left"
    if (message := OUR_FAULTS.get(reason)) is not None:
        return "failed", message
    if (end := SITE_ENDS.get(reason)) is not None:
        return "failed", end.message
    if reason != FINISHED and reason not in BUDGET_STOPS:
        return "failed", f"crawl ended: {reason}"
    if figures["pages"] == 0:
        return "failed", "no page could be fetched from the site"
    if figures["lost"]:
        lost = figures["lost"]
        return "failed", f"{lost} pages could not be archived (errors in the log); the next run fetches them again"
    done = figures["articles_new"] + figures["articles_updated"] + figures["articles_unchanged"]
    done += figures["known"]  # archived before and not due: as good as unchanged (articles_unchanged has 304s)
    faults = figures["failures"] - figures["bounded"] - figures["dead_links"]
    for count, message in ((faults, TOO_MANY_FAILED), (figures["removed"], TOO_MANY_REMOVED)):
        if count and count / (done + count) > FAILURE_RATE_LIMIT:
            return "failed", message.format(count=count, total=done + count, limit=FAILURE_RATE_LIMIT)
    if reason == FINISHED and not (done or figures["failures"] or figures["removed"]):
        if figures["robots"]:
            return "failed", NOTHING_ALLOWED.format(forbidden=figures["robots"])
        return "failed", NO_ARTICLE.format(pages=figures["pages"])
    return "ok", ""
