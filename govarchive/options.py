"""What the commands share: the --db option, opening an archive, and checking what users type
(URLs, days, site names) before anything runs, each mistake a one-line usage error."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlite_utils import Database

from archive.db import DEFAULT_PATH, NotAnArchiveError, OutdatedArchiveError, open_archive, open_for_reading
from crawler.web_address import is_web_address, readable

if TYPE_CHECKING:
    from crawler.spiders.base import NewsSpider

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    envvar="GOVARCHIVE_DB",
    show_default=True,
    help="Archive file (SQLite). Also set by GOVARCHIVE_DB.",
)


def open_db(db_path: Path, write: bool = False) -> Database:
    """An existing archive: read-only for a read command, or a one-line error saying what to
    do; `write` opens it to write (pending schema steps applied), once it is known to be one."""
    try:
        db = open_for_reading(db_path)
    except OutdatedArchiveError as error:
        if not write:
            raise click.ClickException(str(error)) from error
        return open_archive(db_path)
    except NotAnArchiveError as error:
        raise click.ClickException(str(error)) from error
    if not write:
        return db
    db.close()
    return open_archive(db_path)


def http_url(ctx: click.Context | None, param: click.Parameter | None, value: Any) -> Any:
    """A site's base URL (or a tuple of them) as the user gave it, if it is one: http(s), with
    a host."""
    for url in value if isinstance(value, tuple) else [value] if value is not None else []:
        if not is_web_address(url):
            raise click.BadParameter(f"{url!r} is not an http(s) URL with a host, e.g. https://www.example.go.th/")
    return value


def redis_url(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    """A Redis server as redis-py takes it: redis://[:password@]host:port/db, rediss:// (TLS), unix://."""
    if value is None:
        return None
    parts = readable(value)
    if parts is None or parts.scheme not in ("redis", "rediss", "unix"):
        raise click.BadParameter(f"{value!r} is not a Redis URL, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS)")
    return value


def iso_day(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    """YYYY-MM-DD in the Common Era; a Buddhist-Era year (2566 = 2023) is converted."""
    from archive.text import common_era_day

    if value is None:
        return None
    try:
        return common_era_day(value)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r}: use YYYY-MM-DD, in the Common or the Buddhist Era (2566-01-01)"
        ) from error


def non_empty(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    """A filter given empty would match nothing or everything, silently: refused."""
    if value is not None and not value.strip():
        raise click.BadParameter("cannot be empty: leave the option out to search everything")
    return value


def known_site(name: str, known: Iterable[str], where: str, option: str = "SITE") -> str:
    """`name` if it is one of `known`; otherwise a usage error naming the closest match."""
    choices = sorted(set(known))
    if name in choices:
        return name
    if not name.strip():
        raise click.BadParameter("a site name cannot be empty", param_hint=option)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    listed = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "") if choices else "none"
    raise click.BadParameter(f"no site {name!r} {where}; {hint}known: {listed}", param_hint=option)


def in_archive(db: Database, site: str, option: str = "--site") -> str:
    """`site` if the archive has articles or runs of it; else a usage error with the closest."""
    from archive.stats import archived_sites

    return known_site(site, archived_sites(db), "in this archive", option)


def registered(site: str, registry: dict[str, type[NewsSpider]] | None = None) -> str:
    """`site` if a site module registers it; else a usage error with the closest."""
    return known_site(site, registry or registered_sites(), "is registered (govarchive sites lists them)")


def registered_sites() -> dict[str, type[NewsSpider]]:
    """The site modules, by id (Scrapy's spider loader is the registry)."""
    from scrapy.settings import Settings

    from crawler.run import site_classes

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return site_classes(settings)
