"""Commands that write an archive: crawl, reextract, forget, upgrade."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from govarchive.options import db_option, http_url, in_archive, open_db, redis_url, registered, registered_sites
from govarchive.output import DEBUG, QUIET, VERBOSE, Progress, say, verbosity, verbosity_options

EXIT_SITE_FAILED = 1  # a site could not be crawled (unreachable, nothing fetched, aborted)
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; cron can simply try later
EXIT_DAMAGED = 1  # reextract met captures it could not read (each named); it did the rest
NOTHING_TO_CRAWL = "name a site (govarchive sites lists them), use --all, or give --url BASE_URL"
# -q/-v as (govarchive's log level, Scrapy's); by default, GOVARCHIVE_LOG_LEVEL and Scrapy's warnings.
LOG_LEVELS = {QUIET: ("ERROR", "ERROR"), VERBOSE: ("INFO", "INFO"), DEBUG: ("DEBUG", "DEBUG")}


@click.command()
@click.argument("sites", nargs=-1)
@click.option(
    "--url",
    "urls",
    multiple=True,
    callback=http_url,
    help="Base URL of a site that has no module of its own, http(s)://host/ (repeatable).",
)
@click.option(
    "--all", "all_sites", is_flag=True, help="Crawl every registered site; one failing does not stop the rest."
)
@click.option("--agency", default="", help="Agency name to store with --url (default: the host name).")
@click.option(
    "--base-url", callback=http_url, help="Crawl one registered SITE at another address (a mirror, a recording)."
)
@click.option(
    "--refresh", is_flag=True, help="Re-fetch every known article (conditionally: unchanged pages cost a 304)."
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    help=(
        "Stop each site after this many responses (default GOVARCHIVE_MAX_PAGES, 100,000; 0: no limit). "
        "Pages named past it are never queued: each is left for the next run as a `budget` failure."
    ),
)
@click.option(
    "--max-seconds",
    type=click.IntRange(min=0),
    help="Stop each site after this many seconds (default GOVARCHIVE_MAX_SECONDS, 6 hours; 0: no limit).",
)
@click.option("--routes", help="Discovery routes to use, comma-separated (default: the site's; all four for --url).")
@click.option(
    "--redis",
    "frontier",
    callback=redis_url,
    help="Work on a crawl shared by workers on many hosts, through the Redis server at this URL "
    "(redis://host:6379/0; rediss:// for TLS); `govarchive ingest` writes the archive (docs/scaling.md).",
)
@db_option
@verbosity_options
def crawl(
    sites: tuple[str, ...],
    urls: tuple[str, ...],
    all_sites: bool,
    agency: str,
    base_url: str | None,
    refresh: bool,
    max_pages: int | None,
    max_seconds: int | None,
    routes: str | None,
    frontier: str | None,
    db_path: Path,
) -> None:
    """Crawl SITES (see `govarchive sites`), every site (--all), and/or sites at --url.

    Incremental: known, unchanged articles are not downloaded again (see --refresh).
    Progress shows as a bar per site at a terminal and as a line every 10 seconds in a log
    (GOVARCHIVE_PROGRESS_INTERVAL); a summary is printed per site at the end, and each run
    recorded in the archive's crawl_runs table. Every run is bounded (requests, pages,
    bytes, wall time, response size and time, traps: README, "Reliability"); every page a
    route named ends archived, unchanged, skipped and counted, or in the failures table.

    Set GOVARCHIVE_CONTACT to a URL or e-mail address where agencies can reach you: it goes
    into the User-Agent of every request.

    \b
    Exit status:
      0   every site was crawled
      1   a site failed: unreachable, aborted, out of disk, stopped by SIGTERM, more
          than 20% of its pages failed (or of its archived articles answered 404/410),
          or no article found at all
      2   usage error
      75  another crawl of the same site into the same archive is running
    \b
    With --redis, this process is one worker of a crawl shared across hosts: it does not
    open the archive (--db only places its HTTP cache), exits once the shared frontier is
    drained, and its status is its own part's; the run's record is the writer's.
    \b
    Example:
      govarchive crawl --url http://127.0.0.1:8765/ --db data/demo.db
      govarchive crawl --redis redis://10.0.0.5:6379/0 --all
    """
    if not sites and not all_sites and not urls:
        raise click.UsageError(NOTHING_TO_CRAWL)
    registry = registered_sites()
    for site in sites:
        registered(site, registry)
    chosen = list(dict.fromkeys([*sites, *(registry if all_sites else [])]))
    spider_args = {"routes": routes} if routes else {}
    if urls and agency:
        spider_args["agency"] = agency
    if base_url:
        if len(chosen) != 1 or urls:
            raise click.UsageError("--base-url applies to exactly one registered SITE")
        spider_args["base_url"] = base_url
    targets = [*urls, base_url or "", *(registry[s].base_url for s in chosen if not base_url)]
    overrides = _crawl_settings(max_pages, max_seconds)
    _warn_without_contact([t for t in targets if t])
    _run_crawl(db_path, chosen, list(urls), spider_args, overrides, refresh, frontier)


def _crawl_settings(max_pages: int | None, max_seconds: int | None) -> dict[str, Any]:
    """Settings the command line overrides: budgets, log levels, progress bars."""
    overrides: dict[str, Any] = {
        setting: value
        for setting, value in {"CLOSESPIDER_PAGECOUNT": max_pages, "CLOSESPIDER_TIMEOUT": max_seconds}.items()
        if value is not None
    }
    if verbosity() in LOG_LEVELS:
        overrides["LOG_LEVEL"], overrides["GOVARCHIVE_SCRAPY_LOG_LEVEL"] = LOG_LEVELS[verbosity()]
    overrides["GOVARCHIVE_PROGRESS_BAR"] = verbosity() > QUIET and sys.stderr.isatty()
    return overrides


def _warn_without_contact(base_urls: list[str]) -> None:
    from crawler import settings

    loopback = settings.GOVARCHIVE_UNTHROTTLED_HOSTS
    if not settings.GOVARCHIVE_CONTACT and any(urlsplit(url).hostname not in loopback for url in base_urls):
        click.echo(
            "warning: GOVARCHIVE_CONTACT is not set, so the sites cannot tell who is crawling them: "
            "export GOVARCHIVE_CONTACT=<your URL or e-mail address>",
            err=True,
        )


def _run_crawl(
    db_path: Path,
    sites: list[str],
    urls: list[str],
    spider_args: dict[str, Any],
    overrides: dict[str, Any],
    refresh: bool,
    frontier: str | None = None,
) -> None:
    """One process crawls into the archive; or, with a frontier, works on a shared crawl."""
    from crawler import settings
    from crawler.workers import start_forkserver, worker_count

    if worker_count(settings.GOVARCHIVE_EXTRACT_WORKERS) > 0:
        start_forkserver()  # its imports overlap ours (crawler/workers.py)
    from crawler.progress import describe

    if frontier:  # Redis's client is 70 ms of CPU that a crawl into a local archive never uses
        from crawler.coordination import NoWriterError
        from crawler.distributed import FrontierUnreachableError, crawl_on_frontier

        try:
            results = crawl_on_frontier(frontier, str(db_path), sites, urls, spider_args, overrides, refresh)
        except (FrontierUnreachableError, NoWriterError) as error:
            raise click.ClickException(str(error)) from None
    else:
        from crawler.run import crawl as run_crawl

        results = run_crawl(str(db_path), sites, urls, spider_args, overrides, refresh=refresh)
    done = _worker_part if frontier else describe
    for result in results:
        figures = f": {done(result.figures)}" if result.figures else ""
        if result.status == "locked":
            click.echo(f"{result.site}: {result.message}", err=True)
        elif result.ok:
            say(f"{result.site}: ok{figures}")
        else:
            click.echo(f"{result.site}: {result.status.upper()} ({result.message}){figures}")  # even with -q
    say("the writer records the runs in its archive (govarchive ingest)" if frontier else f"archive: {db_path}")
    if any(r.status == "locked" for r in results):
        sys.exit(EXIT_LOCKED)
    if not all(r.ok for r in results):
        sys.exit(EXIT_SITE_FAILED)


def _worker_part(figures: dict[str, int]) -> str:
    """What one worker of a shared crawl did; what became of the articles is the writer's."""
    return (
        f"this worker's part: {figures['pages']} pages ({figures['downloads']} downloaded, "
        f"{figures['not_modified']} not modified)"
    )


@click.command()
@click.option("--redis", "frontier", required=True, callback=redis_url, help="The Redis server the workers use.")
@click.option(
    "--exit-when-idle",
    type=click.FloatRange(min=0),
    help="Exit once no run is open and no result came for this many seconds (default: until SIGTERM).",
)
@db_option
@verbosity_options
def ingest(frontier: str, exit_when_idle: float | None, db_path: Path) -> None:
    """Write the archive for crawl workers on any number of hosts (`crawl --redis URL`).

    The one writer of the archive: it opens a run when a worker asks for one (taking the
    site's lock, publishing the known articles for an incremental crawl), writes every
    result the workers hand over (each exactly once, even across a kill -9 of this
    process), and records each run when its frontier is drained. Run one per archive, each
    archive on its own Redis namespace (GOVARCHIVE_REDIS_NAMESPACE), e.g. as a systemd
    service (ops/govarchive-ingest.service). Every GOVARCHIVE_PROGRESS_INTERVAL seconds it
    logs what it wrote and which runs are open.

    \b
    Exit status: 0; 1 when a run it recorded failed (with --exit-when-idle), or another
    archive's writer serves the namespace; 75 when another writer of this archive is running.
    """
    import logging

    from redis import Redis
    from redis.exceptions import RedisError

    from crawler import settings
    from crawler.coordination import NamespaceTakenError, redacted
    from crawler.ingest import FrontierLostError, Ingest, WriterRunningError
    from crawler.progress import describe

    level = "ERROR" if verbosity() == QUIET else "DEBUG" if verbosity() == DEBUG else settings.LOG_LEVEL
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    if db_path.exists():
        open_db(db_path, write=True).close()  # refuses, in one line, a file that is not an archive
    try:
        redis = Redis.from_url(frontier)
        redis.ping()
    except RedisError as error:
        raise click.ClickException(f"cannot reach the frontier at {redacted(frontier)}: {error}") from None
    try:
        writer = Ingest(
            redis,
            settings.GOVARCHIVE_REDIS_NAMESPACE,
            str(db_path),
            settings.GOVARCHIVE_REDIS_QUIET_SECONDS,
            settings.GOVARCHIVE_REVISIT_DAYS,
            settings.GOVARCHIVE_PROGRESS_INTERVAL,
        )
    except WriterRunningError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_LOCKED)
    except NamespaceTakenError as error:
        raise click.ClickException(str(error)) from None
    say(f"writing {db_path} for the workers at {redacted(frontier)}", err=True)
    try:
        results = writer.serve(exit_when_idle)
    except (FrontierLostError, NamespaceTakenError) as error:
        raise click.ClickException(str(error)) from None
    for result in results:
        if result.ok:
            say(f"{result.site}: ok: {describe(result.figures)}")
        else:
            click.echo(f"{result.site}: {result.status.upper()} ({result.message}): {describe(result.figures)}")
    if not all(r.ok for r in results):
        sys.exit(EXIT_SITE_FAILED)


@click.command()
@click.option("--site", help="Only this site's articles.")
@db_option
@verbosity_options
def reextract(site: str | None, db_path: Path) -> None:
    """Rebuild text and metadata of every version from its WARC capture, offline.

    Uses the current extractor and records its version; the network is not touched.
    Extraction runs in GOVARCHIVE_EXTRACT_WORKERS worker processes (default: one per CPU).
    A capture whose WARC record is missing or damaged is named, its version kept as it was,
    and the rest re-extracted; the exit status is then 1.
    """
    from archive.history import count_versions
    from archive.warc import warc_dir
    from crawler.reextract import reextract as run_reextract
    from crawler.run import project_settings, site_classes
    from crawler.workers import worker_count

    db = open_db(db_path, write=True)
    if site is not None:
        in_archive(db, site)
    if not warc_dir(db_path).is_dir():
        raise click.ClickException(
            f"no {warc_dir(db_path)} folder beside the archive: the captures live there; "
            "move or copy the archive as its whole folder (the .db file and warc/)"
        )
    settings = project_settings(str(db_path))
    workers = worker_count(settings.get("GOVARCHIVE_EXTRACT_WORKERS"))
    total = count_versions(db, site)
    with Progress(total, "reextract", "versions") as progress:
        report = run_reextract(db, str(db_path), site_classes(settings), site, workers, progress.advance)
    unchanged = report.versions - report.changed - report.failed - report.without_capture - len(report.unreadable)
    for damaged in report.unreadable:
        click.echo(f"unreadable capture, kept as it was: {damaged}", err=True)
    say(
        f"{report.versions} versions: {report.changed} changed, {unchanged} unchanged, "
        f"{report.without_capture} without a capture, {len(report.unreadable)} with an unreadable capture, "
        f"{report.failed} failed"
    )
    if report.unreadable:
        sys.exit(EXIT_DAMAGED)


@click.command()
@click.argument("site")
@click.option("--articles", is_flag=True, help="Also delete the site's articles and all their versions.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting articles.")
@db_option
@verbosity_options
def forget(site: str, articles: bool, yes: bool, db_path: Path) -> None:
    """Forget SITE's crawl runs, failures and traps (a mistyped --url, a site given up).

    `check` and `sites` stop reporting it. Its articles stay unless --articles is given; the
    WARC files are never changed. Waits for no crawl: it refuses while SITE is being crawled.

    \b
    Example:
      govarchive forget old.example.go.th
    """
    from archive.stats import article_counts
    from archive.store import ArchiveWriter
    from crawler.locks import AlreadyRunningError, SiteLock

    db = open_db(db_path, write=True)
    in_archive(db, site, "SITE")
    count = article_counts(db).get(site, 0)
    if count and not articles:
        raise click.UsageError(
            f"{site} has {count} archived articles, which forget keeps: add --articles to delete them too"
        )
    if count and not yes:
        click.confirm(f"delete {count} articles of {site} and every version of them?", abort=True)
    lock = SiteLock(str(db_path), site)
    try:
        lock.acquire()
    except AlreadyRunningError as error:
        click.echo(f"{site}: {error}", err=True)
        sys.exit(EXIT_LOCKED)
    try:
        removed = ArchiveWriter(db).forget_site(site, articles)
    finally:
        lock.release()
    say(f"{site}: forgot " + ", ".join(f"{rows} {table}" for table, rows in removed.items() if rows))


@click.command()
@db_option
@verbosity_options
def upgrade(db_path: Path) -> None:
    """Bring an archive made by an older govarchive up to this version's schema.

    Read commands never change an archive; `crawl` and `reextract` upgrade it as they write.
    Run this as a user who may write the file (the archive's owner, e.g. the cron user).
    """
    from archive.db import NotAnArchiveError
    from archive.db import upgrade as upgrade_archive

    try:
        applied = upgrade_archive(db_path)
    except NotAnArchiveError as error:
        raise click.ClickException(str(error)) from error
    say(f"{db_path}: applied {', '.join(applied)}" if applied else f"{db_path}: already up to date")
