"""Commands for archivists reading an archive: search, stats, versions, diff, export, check,
serve. Each opens the archive read-only and changes no byte of it."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from archive.query import SYNTAX_HELP
from govarchive.options import db_option, in_archive, iso_day, non_empty, open_db
from govarchive.output import Progress, print_json, print_table, say, tracked, verbosity_options

if TYPE_CHECKING:
    from sqlite_utils import Database

EXIT_UNHEALTHY = 1  # govarchive check found problems
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.command()
@click.argument("query")
@click.option("--site", callback=non_empty, help="Only this site's articles.")
@click.option(
    "--agency", callback=non_empty, help="Only this agency's articles (as the search page's agency facet names it)."
)
@click.option("--since", callback=iso_day, help="Published on or after this day: YYYY-MM-DD, Common or Buddhist Era.")
@click.option("--until", callback=iso_day, help="Published on or before this day: YYYY-MM-DD, Common or Buddhist Era.")
@click.option("--lang", callback=non_empty, help="Only articles in this language (ISO 639-1: th, en).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Most hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the total and the hits, several snippets each, as JSON.")
@db_option
@verbosity_options
def search(
    query: str,
    site: str | None,
    agency: str | None,
    since: str | None,
    until: str | None,
    lang: str | None,
    limit: int,
    as_json: bool,
    db_path: Path,
) -> None:
    """Full-text search, best match first; Thai words are found mid-sentence. Attached files
    (PDFs, scans read by OCR, Office files) are searched too: each hit says on which page.

    \b
    QUERY is
      words            all must match (a Thai word is found inside longer text too)
      "exact phrase"   the words in this order
      a OR b           either
      -word, NOT word  leave out articles holding it
      prefix*          words beginning with prefix first
    Punctuation around words is ignored; Thai and Arabic digits are equal (๒๕๖๖ = 2566);
    letter case is ignored; a query that begins with - goes after --. Articles holding a
    term as a whole word rank first (Thai words by ICU's word breaker and PyThaiNLP's
    dictionary), then by bm25 with title matches weighing more.

    \b
    Example:
      govarchive search "รางวัลเลิศรัฐ" --since 2566-01-01 --limit 5
      govarchive search 'OTOP OR โอทอป -ประกวด' --lang th
    """
    from archive.query import QueryError
    from archive.search import Filters
    from archive.search import search as search_archive

    db = open_db(db_path)
    if site is not None:
        in_archive(db, site)
    filters = Filters(site, agency, since, until, lang)
    try:
        results = search_archive(db, query, limit, filters)
    except QueryError as error:
        raise click.UsageError(f"{error}. Query syntax: {SYNTAX_HELP}") from error
    if as_json:
        print_json(results.as_dict())
        return
    shown = len(results.hits)
    total = f"{results.total:,}" + ("+" if results.capped else "")
    say(f"{shown} of {total} articles match {query!r}" if results.total else f"no article matches {query!r}", err=True)
    for hit in results.hits:
        click.echo(click.style(hit.title, bold=True))
        click.echo(f"  {hit.agency or hit.site} · {hit.published or 'date unknown'} · {hit.url}")
        click.echo(f"  {hit.snippet}\n")
    if results.attachments_total:
        say(f"{len(results.attachments)} of {results.attachments_total:,} attached files match", err=True)
    for found in results.attachments:
        click.echo(click.style(f"{found.url.rsplit('/', 1)[-1]}, page {found.page}", bold=True))
        click.echo(
            f"  {found.url}" + (f" · in {found.article_title} · {found.article_url}" if found.article_url else "")
        )
        click.echo(f"  {found.snippet}\n")


@click.command()
@json_option
@db_option
@verbosity_options
def stats(as_json: bool, db_path: Path) -> None:
    """Articles per site, with the oldest and newest publication dates and failures."""
    from archive.stats import site_stats

    rows = [asdict(row) for row in site_stats(open_db(db_path))]
    if as_json:
        print_json(rows)
    elif not rows:
        say("the archive is empty")
    else:
        print_table(rows, ["site", "articles", "oldest", "newest", "failures"])


@click.command()
@click.argument("url")
@json_option
@db_option
@verbosity_options
def versions(url: str, as_json: bool, db_path: Path) -> None:
    """List every archived version of the article at URL: when, title, length, capture.

    \b
    Example:
      govarchive versions https://www.cdd.go.th/news-017/
    Then compare two of them with `govarchive diff URL --from 1 --to 2`.
    """
    from archive.history import versions as article_versions

    rows = article_versions(open_db(db_path), url)
    if not rows:
        raise click.ClickException(f"{url} is not in the archive (search finds articles: govarchive search WORDS)")
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["version", "fetched_at", "characters", "title", "crawl_run", "warc_file"])


@click.command()
@click.argument("url")
@click.option("--from", "old", type=int, help="Older version number (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer version number (default: the latest).")
@json_option
@db_option
@verbosity_options
def diff(url: str, old: int | None, new: int | None, as_json: bool, db_path: Path) -> None:
    """Show what changed in an article between two archived versions (a unified diff).

    \b
    Example:
      govarchive diff https://www.cdd.go.th/news-017/ --from 1 --to 2
    """
    from archive.history import NoSuchVersionError, OnlyOneVersionError, version_numbers
    from archive.history import diff as version_diff

    db = open_db(db_path)
    try:
        text = version_diff(db, url, old, new)
    except OnlyOneVersionError as error:
        if as_json:
            print_json({"url": url, "versions": version_numbers(db, url), "diff": None})
            return
        say(str(error))
        return
    except NoSuchVersionError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        print_json({"url": url, "versions": version_numbers(db, url), "diff": text})
    else:
        click.echo(text or "the two versions have the same title and text")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "wacz"]),
    default="jsonl",
    show_default=True,
    help="wacz: the captures as a web archive for replay tools (needs -o FILE.wacz).",
)
@click.option("--site", help="Only this site's articles.")
@click.option(
    "--since",
    callback=iso_day,
    help="Only articles published on or after this day: YYYY-MM-DD, Common or Buddhist Era (2566-01-01).",
)
@click.option("--bom", is_flag=True, help="Start a CSV with a byte-order mark, so Excel reads Thai as UTF-8.")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=False),
    default="-",
    help="File to write (default: stdout).",
)
@db_option
@verbosity_options
def export(fmt: str, site: str | None, since: str | None, bom: bool, output: TextIO, db_path: Path) -> None:
    """Stream the current version of each article, with metadata and provenance; or, as a
    WACZ, the raw captures of those versions with a page per article, for replay tools.

    \b
    Examples:
      govarchive export --format csv --bom --site cdd --since 2566-01-01 -o cdd.csv
      govarchive export --format wacz --site cdd -o cdd.wacz
    """
    from archive.export import count_articles, iter_articles, write_articles

    db = open_db(db_path)
    if site is not None:
        in_archive(db, site)
    if bom and fmt != "csv":
        raise click.UsageError("--bom applies to --format csv")
    if fmt == "wacz":
        _export_wacz(db, db_path, site, since, output)
        return
    total = count_articles(db, site, since)
    with Progress(total, "export", "articles") as progress:
        count = write_articles(tracked(iter_articles(db, site, since), progress), output, fmt, bom)
    filters = " ".join(f for f in (f"of {site}" if site else "", f"published since {since}" if since else "") if f)
    say(f"exported {count} articles" + (f" {filters}" if filters else ""), err=True)


def _export_wacz(db: Database, db_path: Path, site: str | None, since: str | None, output: TextIO) -> None:
    from archive.export import count_articles
    from archive.wacz import WaczError, write_wacz

    if output.name == "<stdout>":
        raise click.UsageError("--format wacz writes a file: give -o FILE.wacz")
    output.close()  # a zip is written by path, not through the text handle
    with Progress(count_articles(db, site, since), "export", "articles") as progress:
        try:
            exported = write_wacz(db, db_path, Path(output.name), site, since, progress.advance)
        except WaczError as error:
            Path(output.name).unlink(missing_ok=True)  # click created it empty
            raise click.ClickException(str(error)) from error
    for damaged in exported.damaged:
        say(f"left out, its capture is damaged: {damaged}", err=True)
    say(f"exported {exported.articles} articles with their captures to {output.name}", err=True)


@click.command()
@json_option
@db_option
@verbosity_options
def check(as_json: bool, db_path: Path) -> None:
    """Exit non-zero, saying why, when a site is stale, or its last run failed or lost pages.

    For cron and monitoring: `govarchive check -q || mail -s "govarchive" you@example.org`.
    """
    from archive.health import check as health_check
    from archive.stats import crawled_sites
    from govarchive.options import registered_sites

    registry = registered_sites()
    db = open_db(db_path)
    crawled = crawled_sites(db)
    intervals = {name: spider.expected_interval_days for name, spider in registry.items() if name in crawled}
    problems = [asdict(problem) for problem in health_check(db, intervals)]
    if as_json:
        print_json(problems)
    elif problems:
        print_table(problems, ["site", "reason"])
    else:
        say("all sites healthy")
    if problems:
        sys.exit(EXIT_UNHEALTHY)


@click.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port on 127.0.0.1.")
@db_option
@verbosity_options
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
    say(f"serving {db_path} at http://127.0.0.1:{port}/{db_path.stem}")
    if not can_share_the_log(db_path):
        say("you may not write beside this archive: serving it as it is now (restart to see new crawls)")
    datasette.main(args=datasette_arguments(db_path, port, metadata), prog_name="datasette")
