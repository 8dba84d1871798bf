"""Is each site being archived as it should? The answers behind `govarchive check`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

DEFAULT_INTERVAL_DAYS = 7


@dataclass(frozen=True)
class Problem:
    site: str
    reason: str


def last_runs(db: Database) -> dict[str, tuple[str, str, str, int]]:
    """Per site: status, started, stop reason, pages lost of its latest finished run."""
    sql = """
        select site, status, started, coalesce(stop_reason, ''), coalesce(lost, 0)
        from crawl_runs r
        where id = (select max(id) from crawl_runs where site = r.site and status != 'running')
    """
    return {row[0]: row[1:] for row in db.execute(sql).fetchall()}


def newest_article(db: Database) -> dict[str, str]:
    """Per site: when its newest article was first archived (by its earliest version)."""
    sql = """
        select a.site, max(v.fetched_at) from articles a
        join article_versions v on v.article_url = a.url and v.version = 1
        group by a.site
    """
    return dict(db.execute(sql).fetchall())


def check(db: Database, intervals: dict[str, int], now: datetime | None = None) -> list[Problem]:
    """Problems per site: stale (no new article for longer than expected), last run failed or
    lost pages. `intervals` gives each site's expected days between articles.

    Too many failures fail the run itself (crawler.run.judge), which knows what a failure rate
    must leave out (dead links on listings, bounds, known articles skipped): check reads the verdict."""
    now = now or datetime.now(UTC)
    problems = []
    runs, newest = last_runs(db), newest_article(db)
    for site in sorted(set(runs) | set(newest) | set(intervals)):
        run = runs.get(site)
        if run is None:
            problems.append(Problem(site, "never crawled"))
            continue
        status, started, stop_reason, lost = run
        if status != "ok":
            problems.append(Problem(site, f"last run ({started}) {status}: {stop_reason}"))
        if lost:
            problems.append(Problem(site, f"last run ({started}) lost {lost} pages: see its log"))
        interval = intervals.get(site, DEFAULT_INTERVAL_DAYS)
        latest = newest.get(site)
        if latest is None or now - datetime.fromisoformat(latest) > timedelta(days=interval):
            problems.append(Problem(site, f"no new article for over {interval} days (newest archived {latest})"))
    return problems
