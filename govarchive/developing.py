"""Commands for developers adding sites: sites, record, new-site, extract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

import click

from govarchive.options import db_option, open_db, registered, registered_sites
from govarchive.output import print_json, print_table, verbosity_options

# Why `extract` does not extract a page, by the kind crawler/pagetype.py gives it.
NOT_ARCHIVED = {
    "listing": "a listing, not an article: the crawler follows its links and archives none of its text",
    "other": "neither an article nor a listing (a static page): the crawler skips it",
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@db_option
@verbosity_options
def sites(as_json: bool, db_path: Path) -> None:
    """List the registered sites: agency, base URL, CMS family, verification, last run, health.

    A site is `verified` only when its recorded pages (tests/files/SITE/) pass the uniform
    site test; every other site is `unverified`.
    """
    from archive.health import check as health_check
    from archive.stats import article_counts, last_runs

    registry = registered_sites()
    runs: dict[str, tuple[str, str]] = {}
    counts: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    if db_path.exists():
        db = open_db(db_path)
        runs, counts = last_runs(db), article_counts(db)
        intervals = {n: s.expected_interval_days for n, s in registry.items() if n in runs}
        for problem in health_check(db, intervals):
            problems.setdefault(problem.site, []).append(problem.reason)
    rows = [
        {
            "id": name,
            "agency": spider.agency,
            "agency_en": spider.agency_en,
            "base_url": spider.base_url,
            "cms": spider.cms,
            "status": "verified" if spider.verified else "unverified",
            "last_run": " ".join(runs[name]) if name in runs else "never",
            "articles": counts.get(name, 0),
            "health": "; ".join(problems.get(name, [])) or ("ok" if name in runs else "-"),
        }
        for name, spider in registry.items()
    ]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, list(rows[0]) if rows else ["id"])


@click.command()
@click.argument("site")
@click.option("--pages", default=5, show_default=True, help="Articles to record (plus the pages leading to them).")
@click.option("--base-url", help="Record from this address instead of the site's own (a mirror, a staging copy).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: tests/files/SITE).")
@verbosity_options
def record(site: str, pages: int, base_url: str | None, out: Path | None) -> None:
    """Fetch a few real pages of SITE with their headers into tests/files/SITE/, for offline tests.

    Runs the site's own spider, politely, and saves every response it gets (robots.txt,
    sitemaps, feeds, listings, articles) with a manifest. Tests replay them from 127.0.0.1.

    \b
    Example:
      govarchive record cdd --pages 5
    """
    import shutil
    import tempfile

    from crawler.run import crawl as run_crawl

    registered(site)
    folder = (out or repo_root() / "tests" / "files" / site).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Recorded beside the folder, swapped in only when the recording holds an article: a typo in
    # the site's name or a site that is down leaves the old recording as it was.
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}-recording-") as scratch:
        fresh = Path(scratch) / folder.name
        fresh.mkdir()
        overrides = {"GOVARCHIVE_RECORD_DIR": str(fresh), "HTTPCACHE_ENABLED": False, "CLOSESPIDER_ITEMCOUNT": pages}
        args = {"base_url": base_url} if base_url else {}
        (result,) = run_crawl(str(Path(scratch) / "record.db"), [site], [], args, overrides)
        recorded = f"{result.figures.get('pages', 0)} responses, {result.figures.get('articles_new', 0)} articles"
        if not result.figures.get("articles_new"):
            kept = f"; {folder} is unchanged" if folder.exists() else ""
            raise click.ClickException(f"no article was recorded ({recorded}): check the site's routes{kept}")
        if folder.exists():
            shutil.rmtree(folder)
        fresh.rename(folder)
    click.echo(f"{site}: recorded {recorded} into {folder}")


@click.command("new-site")
@click.argument("site_id")
@click.argument("base_url")
@click.option(
    "--cms", type=click.Choice(["wordpress", "joomla", "drupal", "generic"]), default="wordpress", show_default=True
)
@verbosity_options
def new_site(site_id: str, base_url: str, cms: str) -> None:
    """Write a site module and a test that fails until the module is filled in and recorded.

    \b
    Example:
      govarchive new-site dopa https://www.dopa.go.th/ --cms wordpress
    Then follow CONTRIBUTING.md.
    """
    from crawler.scaffold import ScaffoldError
    from crawler.scaffold import new_site as scaffold

    try:
        written = scaffold(repo_root(), site_id, base_url, cms)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from error
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: fill in {written[0].name}, run `govarchive record {site_id}`, then `make test`")


def repo_root() -> Path:
    """The checkout this code runs from (crawler/ sits at its top). An installed copy has none:
    site modules, their tests and recordings belong in a checkout, so the commands that write
    them refuse, saying where to run them."""
    import crawler

    root = Path(crawler.__file__).resolve().parent.parent
    if not ((root / "pyproject.toml").is_file() and (root / "tests").is_dir()):
        raise click.ClickException(
            "this command writes site modules, tests and recordings into a checkout of govarchive; "
            f"run it from one (this copy is installed in {root})"
        )
    return root


@click.command()
@click.argument("file", type=click.File("rb"))
@click.option(
    "--url",
    default="http://localhost/",
    help="URL the page was fetched from (for relative links, and for sites that tell articles by URL).",
)
@click.option("--site", help="Apply this registered site's rules: its cleanup, dates, terms and what an article is.")
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON, not just the body.")
@verbosity_options
def extract(file: BinaryIO, url: str, site: str | None, as_json: bool) -> None:
    """Show what the archive would store for one saved page (FILE, or - for stdin).

    Without --site the generic rules apply, as for `crawl --url`. A page the crawler would
    not archive (a listing, whose links it follows; a static page) is reported as such, with
    exit status 1, and not extracted.

    \b
    Example:
      govarchive extract --site cdd --json --url https://www.cdd.go.th/news/1 page.html
    """
    from parsel import Selector

    from crawler import extract as extraction
    from crawler.encoding import decode_html
    from crawler.pagetype import kind_of

    spider = registered_sites()[registered(site)] if site is not None else None
    body = file.read()
    html = decode_html(body)
    pattern = re.compile(spider.article_url_pattern) if spider and spider.article_url_pattern else None
    kind = kind_of(body, url, pattern, lambda: Selector(text=html))
    if kind != "article":
        raise click.ClickException(NOT_ARCHIVED[kind])
    try:
        extracted = extraction.extract(html, url, spider.rules() if spider else extraction.ExtractionRules())
    except extraction.ExtractionError as error:
        raise click.ClickException(f"nothing to archive in this page: {error}") from error
    if as_json:
        print_json(extracted.as_dict())
    else:
        click.echo(extracted.body)
