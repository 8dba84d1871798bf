"""`govarchive doctor`: the configuration a crawl would run with, and what is missing.

What a user checks first when something surprises them: which archive, whose contact the
sites see, how polite and how parallel the crawl is, which libraries, and what to fix.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from govarchive.options import db_option
from govarchive.output import print_json, print_table, verbosity_options

EXIT_MISSING = 1  # something a crawl or a search needs is missing
LIBRARIES = (
    "govarchive",
    "scrapy",
    "trafilatura",
    "sqlite-utils",
    "datasette",
    "warcio",
    "lxml",
    "scrapy-redis",
    "redis",
)
SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "GOVARCHIVE_EXTRACT_WORKERS",
    "GOVARCHIVE_EXTRACT_SECONDS",
    "GOVARCHIVE_EXTRACT_MEMORY",
    "GOVARCHIVE_MAX_TEXT_CHARS",
    "GOVARCHIVE_EXTRACT_BATCH",
    "GOVARCHIVE_REVISIT_DAYS",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "GOVARCHIVE_MAX_HEADER_BYTES",
    "GOVARCHIVE_MAX_PAGE_LINKS",
    "GOVARCHIVE_ROBOTS_MAX_BYTES",
    "GOVARCHIVE_MAX_CRAWL_DELAY",
    "GOVARCHIVE_MAX_COOKIES",
    "GOVARCHIVE_MAX_COOKIE_BYTES",
    "GOVARCHIVE_QUEUE_MEMORY",
    "GOVARCHIVE_MAX_REQUESTS",
    "CLOSESPIDER_PAGECOUNT",
    "GOVARCHIVE_MAX_BYTES",
    "CLOSESPIDER_TIMEOUT",
    "GOVARCHIVE_DOWN_AFTER_TRIES",
    "GOVARCHIVE_DOWN_AFTER_SECONDS",
    "LOG_LEVEL",
    "GOVARCHIVE_PROGRESS_INTERVAL",
    "GOVARCHIVE_REDIS_NAMESPACE",
    "GOVARCHIVE_REDIS_QUIET_SECONDS",
    "GOVARCHIVE_REDIS_LEASE_SECONDS",
    "GOVARCHIVE_REDIS_BACKLOG_BYTES",
    "GOVARCHIVE_ATTACHMENTS",
    "GOVARCHIVE_ATTACHMENT_MAXSIZE",
    "GOVARCHIVE_ATTACHMENT_OCR_PAGES",
    "GOVARCHIVE_OCR_LANGUAGES",
)
# The programs that read attachments' text (crawler/documents.py), and where they come from.
PROGRAMS = {"pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "tesseract": "tesseract-ocr"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@db_option
@verbosity_options
def doctor(as_json: bool, db_path: Path) -> None:
    """Print the effective configuration (archive, contact, delays, workers, bounds, library
    versions) and what is missing, with what to do about it.

    Settings come from crawler/settings.py; the GOVARCHIVE_* environment variables set in
    this shell are listed with them. Exit status 1 when something is missing that crawling
    or searching needs; warnings alone exit 0.
    """
    report = diagnose(db_path)
    if as_json:
        print_json(report)
    else:
        for section in ("archive", "crawl", "environment", "libraries", "programs"):
            click.echo(click.style(section, bold=True))
            rows = [{"name": name, "value": value} for name, value in report[section].items()]
            print_table(rows or [{"name": "-", "value": "(none set)"}], ["name", "value"])
            click.echo()
        for level in ("missing", "warnings"):
            for line in report[level]:
                click.echo(f"{level[:-1] if level == 'warnings' else 'missing'}: {line}")
        if not report["missing"] and not report["warnings"]:
            click.echo("nothing missing")
    if report["missing"]:
        sys.exit(EXIT_MISSING)


def diagnose(db_path: Path) -> dict[str, Any]:
    from crawler.run import project_settings, site_classes
    from crawler.workers import worker_count

    settings = project_settings(str(db_path))
    missing: list[str] = []
    warnings: list[str] = []
    crawl = {name: settings.get(name) for name in SETTINGS}
    crawl["GOVARCHIVE_EXTRACT_WORKERS"] = (
        f"{settings.get('GOVARCHIVE_EXTRACT_WORKERS')} ({worker_count(settings.get('GOVARCHIVE_EXTRACT_WORKERS'))})"
    )
    crawl["GOVARCHIVE_CONTACT"] = settings.get("GOVARCHIVE_CONTACT") or "(not set)"
    crawl["registered sites"] = len(site_classes(settings))
    if not settings.get("GOVARCHIVE_CONTACT"):
        warnings.append(
            "GOVARCHIVE_CONTACT is not set: export GOVARCHIVE_CONTACT=<your URL or e-mail> before crawling real sites"
        )
    environment = {name: value for name, value in sorted(os.environ.items()) if name.startswith("GOVARCHIVE_")}
    return {
        "archive": _archive(db_path, missing, warnings),
        "crawl": crawl,
        "environment": environment,
        "libraries": _libraries(missing),
        "programs": _programs(settings.get("GOVARCHIVE_OCR_LANGUAGES"), warnings),
        "missing": missing,
        "warnings": warnings,
    }


def _archive(db_path: Path, missing: list[str], warnings: list[str]) -> dict[str, Any]:
    from archive.db import NotAnArchiveError, OutdatedArchiveError, open_for_reading
    from archive.warc import warc_dir

    facts: dict[str, Any] = {"path": str(db_path.resolve()), "exists": db_path.exists()}
    if not db_path.exists():
        warnings.append(f"no archive at {db_path} yet: the first `govarchive crawl` creates it (or pass --db)")
        return facts
    facts["bytes"] = db_path.stat().st_size
    facts["writable"] = os.access(db_path, os.W_OK) and os.access(db_path.parent, os.W_OK)
    warcs = warc_dir(db_path)
    facts["warc folder"] = str(warcs) if warcs.is_dir() else "(missing)"
    try:
        db = open_for_reading(db_path)
    except OutdatedArchiveError as error:
        facts["schema"] = "outdated"
        missing.append(str(error))
        return facts
    except NotAnArchiveError as error:
        facts["schema"] = "not an archive"
        missing.append(str(error))
        return facts
    facts["schema"] = "up to date"
    facts["articles"] = db.table("articles").count
    facts["crawl runs"] = db.table("crawl_runs").count
    db.close()
    if facts["articles"] and not warcs.is_dir():
        missing.append(f"{warcs} is missing: the raw captures live there (reextract needs them)")
    return facts


def _libraries(missing: list[str]) -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "SQLite": sqlite3.sqlite_version}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "(not installed)"
            missing.append(f"{name} is not installed: pip install govarchive (or make install in a checkout)")
    versions["FTS5 trigram"] = "yes" if _has_trigram() else "no"
    if versions["FTS5 trigram"] == "no":
        missing.append(f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (3.34 or newer has it)")
    return versions


def _programs(languages: str, warnings: list[str]) -> dict[str, str]:
    """Attachments' text needs these; without them files are kept, their text unread."""
    found: dict[str, str] = {}
    for program, package in PROGRAMS.items():
        path = shutil.which(program)
        found[program] = path or "(not installed)"
        if path is None:
            warnings.append(f"{program} is missing: attachments are kept without text (apt-get install -y {package})")
    if shutil.which("tesseract"):
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout
        have = {line.strip() for line in listed.splitlines()[1:] if line.strip()}  # after a heading line
        found["OCR languages"] = ", ".join(sorted(have)) or "(none)"
        for language in set(languages.split("+")) - have:
            warnings.append(f"Tesseract has no {language!r} model: apt-get install -y tesseract-ocr-{language}")
    return found


def _has_trigram() -> bool:
    try:
        sqlite3.connect(":memory:").execute("create virtual table t using fts5(x, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    return True
