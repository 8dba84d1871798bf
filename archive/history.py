"""Reading the archive's history: known pages and traps (for incremental crawls), versions, diffs."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from archive.warc import Original, Pointer


@dataclass(frozen=True)
class KnownPage:
    """What a re-crawl needs to decide whether, and how, to fetch a page again, and the capture
    behind the page's current version, which the fetch may answer again byte for byte."""

    url: str
    fetched_at: str
    etag: str | None
    last_modified: str | None
    original: Original | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KnownPage:
        """As to_dict made it (a shared frontier keeps known pages in Redis as JSON)."""
        original = data.get("original")
        if original is not None:
            original = Original(**{**original, "pointer": Pointer(**original["pointer"])})
        return cls(**{**data, "original": original})


@dataclass(frozen=True)
class Version:
    article_url: str
    version: int
    fetched_at: str
    title: str
    body: str
    pointer: Pointer | None
    site: str


VERSION_FIELDS = (
    "v.article_url, v.version, v.fetched_at, v.title, v.body, v.warc_file, v.warc_offset, v.warc_length, a.site"
)


class NoSuchVersionError(LookupError):
    pass


class OnlyOneVersionError(LookupError):
    """There is nothing to compare: the article was archived once, or never changed."""


def known_pages(db: Database, site: str) -> dict[str, KnownPage]:
    """Every archived article of `site`, under its canonical and its fetched URL."""
    known: dict[str, KnownPage] = {}
    sql = """
        select a.url, a.source_url, a.final_url, a.fetched_at, a.etag, a.last_modified,
            coalesce(v.final_url, v.source_url, a.url), v.fetched_at, v.payload_digest,
            v.warc_file, v.warc_offset, v.warc_length
        from articles a left join article_versions v on v.article_url = a.url and v.version = a.version
        where a.site = ?
    """
    for url, source_url, final_url, fetched_at, etag, last_modified, *capture in db.execute(sql, [site]).fetchall():
        page = KnownPage(source_url or url, fetched_at, etag, last_modified, original_of(*capture))
        for key in {url, source_url, final_url} - {None}:
            known[key] = page
    return known


def original_of(
    url: str, fetched_at: str | None, digest: str | None, file: str | None, offset: int | None, length: int | None
) -> Original | None:
    """The version's capture, when it has one and its digest is known (versions archived before
    digests were kept have none: a re-fetch of them is captured whole)."""
    if fetched_at is None or digest is None or file is None or offset is None or length is None:
        return None
    return Original(url, fetched_at, digest, Pointer(file, offset, length))


def known_attachments(db: Database, site: str) -> dict[str, KnownPage]:
    """Every archived file of `site`, by the URL articles link it with."""
    sql = """
        select url, fetched_at, etag, last_modified,
            coalesce(final_url, url), fetched_at, payload_digest, warc_file, warc_offset, warc_length
        from attachments where site = ?
    """
    return {
        url: KnownPage(url, fetched_at, etag, last_modified, original_of(*capture))
        for url, fetched_at, etag, last_modified, *capture in db.execute(sql, [site]).fetchall()
    }


def owed_attachments(db: Database, site: str) -> list[tuple[str, str]]:
    """Files `site`'s articles hold that were never fetched nor failed (a run stopped first):
    (URL, role), for the next run to fetch."""
    sql = """
        select distinct l.attachment_url, l.role from article_attachments l
        join articles a on a.url = l.article_url
        where a.site = ? and l.attachment_url not in (select url from attachments)
          and l.attachment_url not in (select url from failures where site = ?)
    """
    return [(url, role) for url, role in db.execute(sql, [site, site]).fetchall()]


def known_traps(db: Database, site: str, since: str) -> dict[str, tuple[str, str]]:
    """Traps of `site` found on or after `since` (UTC ISO): pattern -> (bound, reason)."""
    sql = "select pattern, bound, reason from traps where site = ? and found >= ?"
    return {pattern: (bound, reason) for pattern, bound, reason in db.execute(sql, [site, since]).fetchall()}


def version_numbers(db: Database, url: str) -> list[int]:
    rows = db.execute("select version from article_versions where article_url = ? order by version", [url])
    return [r[0] for r in rows.fetchall()]


def versions(db: Database, url: str) -> list[dict[str, object]]:
    """Every archived version of an article, oldest first, without its text: number, when,
    title, length, hash, extractor, run and capture."""
    sql = """
        select version, fetched_at, title, length(body) as characters, sha256, extractor, crawl_run,
               warc_file, warc_offset
        from article_versions where article_url = ? order by version
    """
    cursor = db.execute(sql, [url])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def get_version(db: Database, url: str, number: int) -> Version:
    sql = f"""
        select {VERSION_FIELDS}
        from article_versions v join articles a on a.url = v.article_url
        where v.article_url = ? and v.version = ?
    """
    row = db.execute(sql, [url, number]).fetchone()
    if row is None:
        raise NoSuchVersionError(f"{url} has no version {number} (versions: {version_numbers(db, url) or 'none'})")
    return _version(row)


def _version(row: tuple) -> Version:  # type: ignore[type-arg]
    url, number, fetched_at, title, body, warc_file, offset, length, site = row
    pointer = Pointer(warc_file, offset, length) if warc_file else None
    return Version(url, number, fetched_at, title, body, pointer, site)


def count_versions(db: Database, site: str | None = None) -> int:
    sql = """
        select count(*) from article_versions v join articles a on a.url = v.article_url
        where ? is null or a.site = ?
    """
    return int(db.execute(sql, [site, site]).fetchone()[0])


def iter_versions(db: Database, site: str | None = None) -> Iterator[Version]:
    """Every version (of one site), oldest first, streamed."""
    sql = f"""
        select {VERSION_FIELDS}
        from article_versions v join articles a on a.url = v.article_url
        where ? is null or a.site = ?
        order by v.article_url, v.version
    """
    for row in db.execute(sql, [site, site]):
        yield _version(row)


def diff(db: Database, url: str, old: int | None = None, new: int | None = None) -> str:
    """Unified diff of title and text between two versions (default: the last two)."""
    numbers = version_numbers(db, url)
    if not numbers:
        raise NoSuchVersionError(f"{url} is not in the archive")
    if len(numbers) == 1 and old is None and new is None:
        only = get_version(db, url, numbers[0])
        raise OnlyOneVersionError(
            f"{url} has one version (fetched {only.fetched_at}): its text has not changed since it was archived"
        )
    new = new if new is not None else numbers[-1]
    old = old if old is not None else (numbers[-2] if len(numbers) > 1 else numbers[-1])
    before, after = get_version(db, url, old), get_version(db, url, new)
    lines = difflib.unified_diff(
        _lines(before),
        _lines(after),
        fromfile=f"{url} version {old} ({before.fetched_at})",
        tofile=f"{url} version {new} ({after.fetched_at})",
        lineterm="",
    )
    return "\n".join(lines)


def _lines(version: Version) -> list[str]:
    return [f"# {version.title}", "", *version.body.split("\n")]
