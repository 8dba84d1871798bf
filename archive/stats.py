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
