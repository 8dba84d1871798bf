"""The `govarchive` command. Each command parses options and calls one library function."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import BinaryIO, TextIO
from urllib.parse import urlsplit

import click

from archive.search import search as search_archive
from archive.stats import site_stats
from crawler.cli_common import db_option, open_db
from crawler.cli_sites import new_site, record, sites

EXIT_SITE_FAILED = 1  # a site could not be crawled (unreachable, nothing fetched, aborted)
EXIT_USAGE = 2  # click's own code for bad usage
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; cron can simply try later
EXIT_UNHEALTHY = 1  # govarchive check found problems
EXIT_DAMAGED = 1  # reextract met captures it could not read (each named); it did the rest
NOTHING_TO_CRAWL = "name a site (govarchive sites lists them), use --all, or give --url BASE_URL"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govarchive")
def cli() -> None:
    """Archive government news sites into a searchable SQLite file.

    \b
    Typical use:
      govarchive crawl cdd                  crawl a registered site
      govarchive crawl --url https://example.go.th/
      govarchive search "เลิศรัฐ"
      govarchive serve                      browse the archive in datasette
    """


@cli.command()
@click.argument("sites", nargs=-1)
@click.option(
    "--url",
    "urls",
    multiple=True,
    callback=lambda ctx, param, values: tuple(http_url(v) for v in values),
    help="Base URL of a site that has no module of its own, http(s)://host/ (repeatable).",
)
@click.option(
    "--all", "all_sites", is_flag=True, help="Crawl every registered site; one failing does not stop the rest."
)
@click.option("--agency", default="", help="Agency name to store with --url (default: the host name).")
@click.option("--base-url", help="Crawl one registered SITE at another address (a mirror, a recording).")
@click.option(
    "--refresh", is_flag=True, help="Re-fetch every known article (conditionally: unchanged pages cost a 304)."
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    help="Stop each site after this many responses (default GOVARCHIVE_MAX_PAGES, 100,000; 0: no limit).",
)
@click.option(
    "--max-seconds",
    type=click.IntRange(min=0),
    help="Stop each site after this many seconds (default GOVARCHIVE_MAX_SECONDS, 6 hours; 0: no limit).",
)
@click.option("--routes", help="Discovery routes to use, comma-separated (default: the site's; all four for --url).")
@db_option
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
    db_path: Path,
) -> None:
    """Crawl SITES (see `govarchive sites`), every site (--all), and/or sites at --url.

    Incremental: known, unchanged articles are not downloaded again (see --refresh).
    Progress is logged as the crawl runs, a summary printed per site at the end, and each
    run recorded in the archive's crawl_runs table. Every run is bounded (requests, pages,
    bytes, wall time, response size and time, traps: README, "Reliability"); every page a
    route named ends archived, unchanged, skipped and counted, or in the failures table.

    \b
    Exit status:
      0   every site was crawled
      1   a site failed: unreachable, aborted, out of disk, stopped by SIGTERM, or more
          than 20% of its pages failed
      2   usage error
      75  another crawl of the same site into the same archive is running
    \b
    Example:
      govarchive crawl --url http://127.0.0.1:8765/ --db data/demo.db
    """
    if not sites and not all_sites and not urls:
        raise click.UsageError(NOTHING_TO_CRAWL)
    from crawler import settings
    from crawler.workers import start_forkserver, worker_count

    if worker_count(settings.GOVARCHIVE_EXTRACT_WORKERS) > 0:
        start_forkserver()  # its imports overlap ours (crawler/workers.py)
    from crawler.progress import describe
    from crawler.run import UnknownSiteError, project_settings, site_classes
    from crawler.run import crawl as run_crawl

    chosen = list(sites) + (list(site_classes(project_settings(str(db_path)))) if all_sites else [])
    if not chosen and not urls:
        raise click.UsageError(NOTHING_TO_CRAWL)
    spider_args = {"routes": routes} if routes else {}
    if urls and agency:
        spider_args["agency"] = agency
    if base_url:
        if len(chosen) != 1 or urls:
            raise click.UsageError("--base-url applies to exactly one registered SITE")
        spider_args["base_url"] = base_url
    budgets = {"CLOSESPIDER_PAGECOUNT": max_pages, "CLOSESPIDER_TIMEOUT": max_seconds}
    overrides = {setting: value for setting, value in budgets.items() if value is not None}
    try:
        results = run_crawl(str(db_path), chosen, list(urls), spider_args, overrides, refresh=refresh)
    except UnknownSiteError as error:
        raise click.UsageError(str(error)) from error
    for result in results:
        if result.status == "locked":
            click.echo(f"{result.site}: {result.message}", err=True)
            continue
        status = "ok" if result.ok else f"{result.status.upper()} ({result.message})"
        click.echo(f"{result.site}: {status}" + (f": {describe(result.figures)}" if result.figures else ""))
    click.echo(f"archive: {db_path}")
    if any(r.status == "locked" for r in results):
        sys.exit(EXIT_LOCKED)
    if not all(r.ok for r in results):
        sys.exit(EXIT_SITE_FAILED)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Most hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits.")
@db_option
def search(query: str, limit: int, as_json: bool, db_path: Path) -> None:
    """Full-text search, best match first; Thai words are found mid-sentence.

    A word found in more than 1,000 articles is ranked among its 1,000 most recently
    archived matches (ranking every match of a very common word is slow on big archives).

    \b
    Example:
      govarchive search "รางวัลเลิศรัฐ" --limit 5
    """
    hits = search_archive(open_db(db_path), query, limit)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo(f"no article matches {query!r}", err=True)
    for hit in hits:
        click.echo(click.style(hit.title, bold=True))
        click.echo(f"  {hit.published or 'date unknown'}  {hit.url}")
        click.echo(f"  {hit.snippet}\n")


@cli.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", default="http://localhost/", help="URL the page was fetched from (for relative links).")
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON, not just the body.")
def extract(file: BinaryIO, url: str, as_json: bool) -> None:
    """Show what the archive would store for one saved page (FILE, or - for stdin).

    \b
    Example:
      govarchive extract --json --url https://www.cdd.go.th/news/1 page.html
    """
    from crawler import extract as extraction
    from crawler.encoding import decode_html

    try:
        extracted = extraction.extract(decode_html(file.read()), url)
    except extraction.ExtractionError as error:
        raise click.ClickException(f"nothing to archive in this page: {error}") from error
    if as_json:
        click.echo(json.dumps(extracted.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(extracted.body)


@cli.command()
@db_option
def stats(db_path: Path) -> None:
    """Articles per site, with the oldest and newest publication dates."""
    rows = site_stats(open_db(db_path))
    if not rows:
        click.echo("the archive is empty")
    for row in rows:
        click.echo(
            f"{row.site}: {row.articles} articles, published {row.oldest or '?'} .. {row.newest or '?'}, "
            f"{row.failures} failures"
        )


@cli.command()
@click.argument("url")
@click.option("--from", "old", type=int, help="Older version number (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer version number (default: the latest).")
@db_option
def diff(url: str, old: int | None, new: int | None, db_path: Path) -> None:
    """Show what changed in an article between two archived versions (a unified diff).

    \b
    Example:
      govarchive diff https://www.cdd.go.th/news-017/ --from 1 --to 2
    """
    from archive.history import NoSuchVersionError
    from archive.history import diff as version_diff

    try:
        click.echo(version_diff(open_db(db_path), url, old, new) or "no difference")
    except NoSuchVersionError as error:
        raise click.ClickException(str(error)) from error


@cli.command()
@click.option("--site", help="Only this site's articles.")
@db_option
def reextract(site: str | None, db_path: Path) -> None:
    """Rebuild text and metadata of every version from its WARC capture, offline.

    Uses the current extractor and records its version; the network is not touched.
    Extraction runs in GOVARCHIVE_EXTRACT_WORKERS worker processes (default: one per CPU).
    A capture whose WARC record is missing or damaged is named, its version kept as it was,
    and the rest re-extracted; the exit status is then 1.
    """
    from archive.warc import warc_dir
    from crawler.reextract import reextract as run_reextract
    from crawler.run import project_settings, site_classes
    from crawler.workers import worker_count

    db = open_db(db_path, write=True)
    if not warc_dir(db_path).is_dir():
        raise click.ClickException(
            f"no {warc_dir(db_path)} folder beside the archive: the captures live there; "
            "move or copy the archive as its whole folder (the .db file and warc/)"
        )
    settings = project_settings(str(db_path))
    workers = worker_count(settings.get("GOVARCHIVE_EXTRACT_WORKERS"))
    report = run_reextract(db, str(db_path), site_classes(settings), site, workers)
    unchanged = report.versions - report.changed - report.failed - report.without_capture - len(report.unreadable)
    for damaged in report.unreadable:
        click.echo(f"unreadable capture, kept as it was: {damaged}", err=True)
    click.echo(
        f"{report.versions} versions: {report.changed} changed, {unchanged} unchanged, "
        f"{report.without_capture} without a capture, {len(report.unreadable)} with an unreadable capture, "
        f"{report.failed} failed"
    )
    if report.unreadable:
        sys.exit(EXIT_DAMAGED)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--site", help="Only this site's articles.")
@click.option(
    "--since",
    callback=lambda ctx, param, value: iso_day(value) if value else None,
    help="Only articles published on or after this day: YYYY-MM-DD, Common or Buddhist Era (2566-01-01).",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=False),
    default="-",
    help="File to write (default: stdout).",
)
@db_option
def export(fmt: str, site: str | None, since: str | None, output: TextIO, db_path: Path) -> None:
    """Stream the current version of each article, with metadata and provenance.

    \b
    Example:
      govarchive export --format csv --site cdd --since 2023-01-01 -o cdd.csv
    """
    from archive.export import export as run_export

    count = run_export(open_db(db_path), output, fmt, site, since)
    click.echo(f"exported {count} articles", err=True)


@cli.command()
@db_option
def check(db_path: Path) -> None:
    """Exit non-zero, saying why, when a site is stale, its last run failed, or it fails often.

    For cron and monitoring: `govarchive check || mail -s "govarchive" you@example.org`.
    """
    from archive.health import check as health_check
    from crawler.run import project_settings, site_classes

    registry = site_classes(project_settings(str(db_path)))
    intervals = {name: spider.expected_interval_days for name, spider in registry.items()}
    db = open_db(db_path)
    crawled = {row[0] for row in db.execute("select distinct site from crawl_runs").fetchall()}
    problems = health_check(db, {s: d for s, d in intervals.items() if s in crawled})
    for problem in problems:
        click.echo(f"{problem.site}: {problem.reason}")
    if problems:
        sys.exit(EXIT_UNHEALTHY)
    click.echo("all sites healthy")


@cli.command()
@db_option
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
    click.echo(f"{db_path}: applied {', '.join(applied)}" if applied else f"{db_path}: already up to date")


@cli.command()
@click.option("--port", default=8001, show_default=True, help="Port on 127.0.0.1.")
@db_option
def serve(port: int, db_path: Path) -> None:
    """Browse and search the archive in datasette (read-only), on 127.0.0.1.

    The database is served under its file's stem (data/archive.db at /archive), with the
    project's metadata, facets, canned queries and article view (archive/datasette/).
    """
    from datasette.cli import cli as datasette

    from archive.browse import can_share_the_log, datasette_arguments, write_metadata

    open_db(db_path).close()
    # Not beside the archive: its folder may be one the user can read and not write.
    handle, metadata_path = tempfile.mkstemp(prefix=f"govarchive-{db_path.stem}-", suffix=".yml")
    os.close(handle)
    metadata = write_metadata(db_path, Path(metadata_path))
    click.echo(f"serving {db_path} at http://127.0.0.1:{port}/{db_path.stem}")
    if not can_share_the_log(db_path):
        click.echo("you may not write beside this archive: serving it as it is now (restart to see new crawls)")
    datasette.main(args=datasette_arguments(db_path, port, metadata), prog_name="datasette")


for command in (sites, record, new_site):
    cli.add_command(command)


def http_url(value: str) -> str:
    """A site's base URL as the user gave it, if it is one: http(s), with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. https://www.example.go.th/")
    return value


def iso_day(value: str) -> str:
    """YYYY-MM-DD in the Common Era; a Buddhist-Era year (2566 = 2023) is converted."""
    from crawler.dates import common_era_year

    try:
        year, rest = value.split("-", 1)
        return date.fromisoformat(f"{common_era_year(int(year)):04d}-{rest}").isoformat()
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r}: use YYYY-MM-DD, in the Common or the Buddhist Era (2566-01-01)"
        ) from error


def main() -> None:
    cli()
