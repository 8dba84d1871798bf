"""The `govarchive` command: one group, its commands defined by audience (reading.py for
archivists, crawling.py for whoever runs crawls, developing.py for site developers,
doctor.py for the set-up)."""

from __future__ import annotations

import click

from govarchive.crawling import crawl, forget, ingest, reextract, upgrade
from govarchive.developing import extract, new_site, record, sites
from govarchive.doctor import doctor
from govarchive.reading import check, diff, export, search, serve, stats, versions


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
      govarchive doctor                     what is configured, and what is missing
    \b
    Every command takes -q and -v; those on an archive --db (or GOVARCHIVE_DB); listing
    commands --json.
    """


for command in (
    crawl,
    ingest,
    search,
    serve,
    stats,
    sites,
    versions,
    diff,
    export,
    check,
    reextract,
    forget,
    upgrade,
    doctor,
    extract,
    record,
    new_site,
):
    cli.add_command(command)


def main() -> None:
    cli()
