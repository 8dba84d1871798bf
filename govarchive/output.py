"""How every command speaks: -q/-v, tables, JSON, and progress on long work.

A person at a terminal gets aligned tables and progress bars; a pipe or cron gets
tab-separated rows and plain progress lines; a program asks for --json. Thai text is
aligned by its width on screen (wcwidth), not by its number of code points.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from crawler import settings

QUIET, NORMAL, VERBOSE, DEBUG = -1, 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    root = ctx.find_root()
    if param.name == "quiet" and value:
        root.meta["govarchive.verbosity"] = QUIET
    elif param.name == "verbose" and value:
        root.meta["govarchive.verbosity"] = min(DEBUG, value)


def verbosity_options(command: F) -> F:
    """-q (only problems) and -v/-vv (Scrapy's own log, then debug) on a command."""
    quiet = click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_set_verbosity, help="Print only problems."
    )
    verbose = click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_set_verbosity,
        help="Say more: -v adds Scrapy's log, -vv debug messages.",
    )
    return quiet(verbose(command))


def verbosity() -> int:
    context = click.get_current_context(silent=True)
    return context.find_root().meta.get("govarchive.verbosity", NORMAL) if context else NORMAL


def say(message: str, err: bool = False) -> None:
    """Information a person wants and a script can do without: silenced by -q; on stderr
    when stdout holds data (an export, JSON)."""
    if verbosity() > QUIET:
        click.echo(message, err=err)


def on_terminal() -> bool:
    return sys.stdout.isatty()


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Aligned columns on a terminal; tab-separated with a header row elsewhere (for cut, awk
    and spreadsheets)."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    if on_terminal():
        from tabulate import tabulate  # 25 ms to import, and most commands print no table

        click.echo(tabulate(cells, headers=list(columns), tablefmt="simple", disable_numparse=True))
        return
    for line in [list(columns), *cells]:
        click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


class Progress:
    """Counts, rate and ETA of long work with a known total: a bar on a terminal (tqdm), a
    plain line every GOVARCHIVE_PROGRESS_INTERVAL seconds elsewhere (a cron log stays
    readable), nothing with -q."""

    def __init__(self, total: int, what: str, unit: str) -> None:
        self.total, self.what, self.unit = total, what, unit
        self.done = 0
        self.started = self.last_line = time.monotonic()
        self.interval = settings.GOVARCHIVE_PROGRESS_INTERVAL
        self.bar = None
        if verbosity() > QUIET and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=what, unit=f" {unit}", file=sys.stderr, leave=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = time.monotonic()
        if verbosity() > QUIET and self.interval > 0 and now - self.last_line >= self.interval:
            self.last_line = now
            click.echo(f"{self.what}: {self.line(now)}", err=True)

    def line(self, now: float) -> str:
        rate = self.done / max(now - self.started, 1e-9)
        left = f", about {(self.total - self.done) / rate:.0f} s left" if rate and self.total >= self.done else ""
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        return f"{self.done} of {self.total} {self.unit}{share}, {rate:.1f}/s{left}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tracked(items: Iterable[Any], progress: Progress) -> Iterable[Any]:
    for item in items:
        yield item
        progress.advance()
