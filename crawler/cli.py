"""The `govarchive` command. Each command parses options and calls one library function."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

import click
from sqlite_utils import Database

from archive.db import DEFAULT_PATH, open_existing
from archive.search import search as search_archive
from archive.stats import site_stats

EXIT_SITE_FAILED = 1  # a site could not be crawled (unreachable, nothing fetched, aborted)
EXIT_USAGE = 2  # click's own code for bad usage

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    envvar="GOVARCHIVE_DB",
    show_default=True,
    help="Archive file (SQLite). Also set by GOVARCHIVE_DB.",
)


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
@click.option("--url", help="Base URL of a site that has no module of its own.")
@click.option("--agency", default="", help="Agency name to store with --url (default: the host name).")
@click.option(
    "--routes",
    default="sitemap,feed,api,listings",
    show_default=True,
    help="Discovery routes to use, comma-separated.",
)
@db_option
def crawl(sites: tuple[str, ...], url: str | None, agency: str, routes: str, db_path: Path) -> None:
    """Crawl SITES (see `govarchive sites`) or the site at --url into the archive.

    Progress is logged as the crawl runs and a summary printed per site at the end.
    Exit status: 0 when every site was crawled, 1 when a site could not be.

    \b
    Example:
      govarchive crawl --url http://127.0.0.1:8765/ --db data/demo.db
    """
    from crawler.run import UnknownSiteError
    from crawler.run import crawl as run_crawl

    if not sites and not url:
        raise click.UsageError("name a site (govarchive sites lists them) or give --url BASE_URL")
    spider_args = {"routes": routes}
    if url and agency:
        spider_args["agency"] = agency
    try:
        results = run_crawl(str(db_path), list(sites), url, spider_args)
    except UnknownSiteError as error:
        raise click.UsageError(str(error)) from error
    from crawler.progress import describe

    for result in results:
        status = "ok" if result.ok else f"FAILED ({result.finish_reason}, {result.figures['pages']} pages)"
        click.echo(f"{result.site}: {status}: {describe(result.figures)}")
    click.echo(f"archive: {db_path}")
    if not all(r.ok for r in results):
        sys.exit(EXIT_SITE_FAILED)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Most hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits.")
@db_option
def search(query: str, limit: int, as_json: bool, db_path: Path) -> None:
    """Full-text search, best match first; Thai words are found mid-sentence.

    \b
    Example:
      govarchive search "รางวัลเลิศรัฐ" --limit 5
    """
    hits = search_archive(_open(db_path), query, limit)
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
    from crawler.encoding import decode_html
    from crawler.extract import ExtractionError
    from crawler.extract import extract as extract_page

    try:
        extracted = extract_page(decode_html(file.read()), url)
    except ExtractionError as error:
        raise click.ClickException(f"nothing to archive in this page: {error}") from error
    if as_json:
        click.echo(json.dumps(extracted.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(extracted.body)


@cli.command()
@db_option
def stats(db_path: Path) -> None:
    """Articles per site, with the oldest and newest publication dates."""
    rows = site_stats(_open(db_path))
    if not rows:
        click.echo("the archive is empty")
    for row in rows:
        click.echo(
            f"{row.site}: {row.articles} articles, published {row.oldest or '?'} .. {row.newest or '?'}, "
            f"{row.failures} failures"
        )


@cli.command()
def sites() -> None:
    """List the registered sites."""
    from crawler.run import project_settings, site_classes

    for name, spider in site_classes(project_settings(str(DEFAULT_PATH))).items():
        click.echo(f"{name}\t{spider.agency}\t{spider.agency_en}\t{spider.base_url}\t{spider.cms}")


@cli.command()
@click.option("--port", default=8001, show_default=True, help="Port on 127.0.0.1.")
@db_option
def serve(port: int, db_path: Path) -> None:
    """Browse and search the archive in datasette (read-only), on 127.0.0.1."""
    _open(db_path).close()
    args = [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", "127.0.0.1", "--port", str(port)]
    click.echo(f"serving {db_path} at http://127.0.0.1:{port}/{db_path.stem}")
    os.execv(sys.executable, args)


def _open(db_path: Path) -> Database:
    try:
        return open_existing(db_path)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error


def main() -> None:
    cli()
