"""`govarchive` commands for developers adding sites: sites, record, new-site."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli_common import db_option, open_db


@click.command()
@db_option
def sites(db_path: Path) -> None:
    """List the registered sites: agency, base URL, CMS family, verification, last run, health.

    A site is `verified` only when its recorded pages (tests/files/SITE/) pass the uniform
    site test; every other site is `unverified`.
    """
    from archive.health import check as health_check
    from crawler.run import project_settings, site_classes

    registry = site_classes(project_settings(str(db_path)))
    runs: dict[str, tuple[str, str]] = {}
    counts: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    if db_path.exists():
        db = open_db(db_path)
        runs = {
            r[0]: (r[1], r[2])
            for r in db.execute("select site, max(started), status from crawl_runs group by site").fetchall()
        }
        counts = dict(db.execute("select site, count(*) from articles group by site").fetchall())
        intervals = {n: s.expected_interval_days for n, s in registry.items() if n in runs}
        for problem in health_check(db, intervals):
            problems.setdefault(problem.site, []).append(problem.reason)
    click.echo("\t".join(["id", "agency", "agency_en", "base_url", "cms", "status", "last_run", "articles", "health"]))
    for name, spider in registry.items():
        last = " ".join(runs.get(name, ("never", "")))
        health = "; ".join(problems.get(name, [])) or ("ok" if name in runs else "-")
        status = "verified" if spider.verified else "unverified"
        row = [name, spider.agency, spider.agency_en, spider.base_url, spider.cms, status, last.strip()]
        click.echo("\t".join([*row, str(counts.get(name, 0)), health]))


@click.command()
@click.argument("site")
@click.option("--pages", default=5, show_default=True, help="Articles to record (plus the pages leading to them).")
@click.option("--base-url", help="Record from this address instead of the site's own (a mirror, a staging copy).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: tests/files/SITE).")
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

    from crawler.run import UnknownSiteError
    from crawler.run import crawl as run_crawl

    folder = (out or repo_root() / "tests" / "files" / site).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Recorded beside the folder, swapped in only when the recording holds an article: a typo in
    # the site's name or a site that is down leaves the old recording as it was.
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}-recording-") as scratch:
        fresh = Path(scratch) / folder.name
        fresh.mkdir()
        overrides = {"GOVARCHIVE_RECORD_DIR": str(fresh), "HTTPCACHE_ENABLED": False, "CLOSESPIDER_ITEMCOUNT": pages}
        args = {"base_url": base_url} if base_url else {}
        try:
            (result,) = run_crawl(str(Path(scratch) / "record.db"), [site], [], args, overrides)
        except UnknownSiteError as error:
            raise click.UsageError(str(error)) from error
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
