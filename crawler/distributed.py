"""A crawl worker on a shared frontier: `govarchive crawl --redis URL SITE...`.

Any number of workers, on any hosts, crawl the same runs: they share each run's queue and
seen-set (crawler/frontier.py), download and extract, and hand every result to the archive's
one writer (crawler/handoff.py, crawler/ingest.py). A worker never opens the archive. It
exits on its own once its runs' frontiers are drained (the stop rule), and its exit status
says how its own part went; the run's record is the writer's (`govarchive check`).
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from scrapy.settings import Settings

from crawler.budget import BUDGET_STOPS
from crawler.coordination import (
    JoinedRun,
    RunRefusedError,
    RunRequest,
    join_a_run,
    redacted,
)
from crawler.frontier import RUN_ENDED, worker_id
from crawler.incremental import Revisits
from crawler.kinds import FINISHED, FRONTIER_LOST
from crawler.progress import bar_logging, summary
from crawler.run import SiteCrawl, SiteResult, plan, project_settings, quiet_process, unthrottle_loopback
from crawler.settings import DOWNLOADER_MIDDLEWARES, ITEM_PIPELINES

HANDOFF = "crawler.handoff.HandoffPipeline"
SHARED_PACE = "crawler.pace.SharedPace"
SHARED_PACE_ORDER = 960  # nearest the network after the HTTP cache (900): a cache hit costs the site nothing


class FrontierUnreachableError(RuntimeError):
    pass


def worker_settings(redis_url: str) -> dict[str, Any]:
    """What makes a crawl process a worker: the shared scheduler, and results handed off."""
    pipelines = {name: order for name, order in ITEM_PIPELINES.items() if not name.endswith(".ArchivePipeline")}
    return {
        "GOVARCHIVE_REDIS_URL": redis_url,
        "SCHEDULER": "crawler.frontier.LeasedScheduler",
        "ITEM_PIPELINES": pipelines | {HANDOFF: ITEM_PIPELINES["crawler.pipelines.ArchivePipeline"]},
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES | {SHARED_PACE: SHARED_PACE_ORDER},
    }


def share_the_pace(settings: Settings) -> None:
    """A site's delay holds across all workers (crawler/pace.py) instead of in each process;
    AutoThrottle, which adapts one process's delay, is off."""
    settings.set("GOVARCHIVE_SHARED_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")


def crawl_on_frontier(
    redis_url: str,
    db_path: str,
    sites: list[str],
    urls: list[str],
    spider_args: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    refresh: bool = False,
) -> list[SiteResult]:
    """Join (or have the writer open) a run per site, and crawl them all until drained.

    `db_path` only places this host's HTTP cache of discovery pages; the archive is the writer's."""
    settings = project_settings(db_path, (overrides or {}) | worker_settings(redis_url))
    jobs = plan(settings, sites, urls, spider_args)
    unthrottle_loopback(settings, [job.kwargs.get("base_url") or job.spider_cls.base_url for job in jobs])
    share_the_pace(settings)
    redis = Redis.from_url(redis_url)
    try:
        redis.ping()
    except RedisError as error:
        raise FrontierUnreachableError(f"cannot reach the frontier at {redacted(redis_url)}: {error}") from None
    namespace, worker = settings.get("GOVARCHIVE_REDIS_NAMESPACE"), worker_id()
    wait = settings.getfloat("GOVARCHIVE_REDIS_JOIN_SECONDS")
    alive = settings.getfloat("GOVARCHIVE_REDIS_LEASE_SECONDS")
    process = quiet_process(settings)
    results: list[SiteResult] = []
    started: list[SiteCrawl] = []
    for job in jobs:
        request = RunRequest(job.site, job.kwargs, refresh)
        try:
            joined = join_a_run(redis, namespace, request, worker, wait, alive)
        except RunRefusedError as error:
            results.append(SiteResult(job.site, "locked", status="locked", message=str(error)))
            continue
        job.run_id = joined.keys.run
        job.crawler = process.create_crawler(job.spider_cls)
        process.crawl(job.crawler, **spider_arguments(joined, job.kwargs))
        started.append(job)
    if started:
        with bar_logging(settings):
            process.start()
    return results + [worker_result(job) for job in started]


def spider_arguments(joined: JoinedRun, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "revisits": Revisits(joined.known, joined.refresh, joined.revisit_days),
        "crawl_run": joined.keys.run,
        "known_traps": joined.traps,
        "frontier_keys": joined.keys,
        **kwargs,
    }


def worker_result(job: SiteCrawl) -> SiteResult:
    """This worker's part: ok when it stopped by the stop rule or a budget and lost nothing."""
    assert job.crawler is not None
    stats = job.crawler.stats.get_stats() if job.crawler.stats else {}
    reason = str(stats.get("finish_reason", "not started"))
    figures = summary(stats)
    if reason == FRONTIER_LOST:
        message = "lost the frontier (Redis); the run stays open: start the worker again once Redis is back"
        return SiteResult(job.site, reason, figures, "failed", message)
    if reason == RUN_ENDED:  # its requests went to the other workers: nothing of it is lost
        return SiteResult(job.site, reason, figures, message="the run ended without this worker, which had stalled")
    if reason not in (FINISHED, *BUDGET_STOPS):
        return SiteResult(job.site, reason, figures, "failed", f"worker stopped: {reason}")
    if figures["lost"]:
        return SiteResult(job.site, reason, figures, "failed", f"{figures['lost']} pages lost to errors (see the log)")
    return SiteResult(job.site, reason, figures)
