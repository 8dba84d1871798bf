"""What the archive holds, per site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class SiteStats:
    site: str
    articles: int
    oldest: str | None
    newest: str | None
    failures: int


def site_stats(db: Database) -> list[SiteStats]:
    sql = """
        select a.site, count(*), min(a.published), max(a.published),
               (select count(*) from failures f where f.site = a.site)
        from articles a group by a.site order by a.site
    """
    return [SiteStats(*row) for row in db.execute(sql).fetchall()]


def archived_sites(db: Database) -> set[str]:
    """Sites the archive has articles or crawl runs of."""
    return {row[0] for row in db.execute("select site from articles union select site from crawl_runs").fetchall()}


def crawled_sites(db: Database) -> set[str]:
    return {row[0] for row in db.execute("select distinct site from crawl_runs").fetchall()}


def article_counts(db: Database) -> dict[str, int]:
    return dict(db.execute("select site, count(*) from articles group by site").fetchall())


def last_runs(db: Database) -> dict[str, tuple[str, str]]:
    """Per site: when its latest run started, and its status."""
    sql = "select site, max(started), status from crawl_runs group by site"
    return {site: (started, status) for site, started, status in db.execute(sql).fetchall()}
