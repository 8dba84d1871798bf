"""Write articles, their versions, failures and crawl runs.

Records are plain JSON-able dicts, so this writer can run in its own process fed by a
queue from many crawler workers. A record holds the `articles` columns plus, optionally,
the version's provenance (`final_url`, `crawl_run`, `etag`, `last_modified`) and its WARC
pointer (`warc_file`, `warc_offset`, `warc_length`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from sqlite_utils import Database

from archive.schema import ARTICLE_COLUMNS, ARTICLE_STATE_COLUMNS, ARTICLE_VERSIONS, CAPTURE_COLUMNS, PERIOD_COLUMNS

ArticleChange = Literal["new", "updated", "unchanged"]  # what writing an article did
LIST_COLUMNS = ("authors", "categories", "tags")
ACCEPTED = set(ARTICLE_COLUMNS) | set(ARTICLE_STATE_COLUMNS) | set(CAPTURE_COLUMNS) | set(PERIOD_COLUMNS)
# What the writer computes: a record may leave them out (items.Article does).
DERIVED = {"sha256", "version", "removed_at", *PERIOD_COLUMNS}
GONE_STATUSES = (404, 410)
# What re-extraction derives again from a capture.
REWRITTEN = (
    "title",
    "body",
    "sha256",
    "published",
    "modified",
    "authors",
    "language",
    "categories",
    "tags",
    "image",
    "extractor",
)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def to_row(record: dict[str, Any]) -> dict[str, Any]:
    """An article record as a row: lists as JSON, hash computed, unknown keys refused."""
    unknown = set(record) - ACCEPTED
    if unknown:
        raise ValueError(f"unknown article fields: {sorted(unknown)}")
    row = dict(record)
    for column in LIST_COLUMNS:
        if isinstance(row.get(column), list):
            row[column] = json.dumps(row[column], ensure_ascii=False)
    row["sha256"] = body_hash(row["body"])
    row.setdefault("fetched_at", utc_now())
    published = row.get("published") or ""
    row["published_year"], row["published_month"] = published[:4] or None, published[:7] or None
    return row


def text_columns(url: str, derived: dict[str, Any]) -> dict[str, Any]:
    """A version's text and metadata (REWRITTEN's fields) as the article row holds them, with
    the hash and the publication period computed: re-extraction and a withdrawn version."""
    row = to_row({**derived, "url": url})
    return {k: v for k, v in row.items() if k in REWRITTEN or k in PERIOD_COLUMNS}


def failure_row(
    url: str, reason: str, site: str | None, status: int | None, kind: str | None, crawl_run: int | None, time: str
) -> dict[str, Any]:
    """One `failures` row (record_failure, record_unfetched)."""
    return {
        "url": url,
        "site": site,
        "reason": reason,
        "http_status": status,
        "time": time,
        "kind": kind,
        "crawl_run": crawl_run,
    }


def version_row(row: dict[str, Any], number: int) -> dict[str, Any]:
    version = {k: row.get(k) for k in ARTICLE_VERSIONS if k not in ("id", "article_url", "version")}
    return {**version, "article_url": row["url"], "version": number}


class ArchiveWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        # (crawl run, site, sha256, title) of a page found served at many addresses -> an address
        # of it: `withdraw_version` leaves no article holding it for the next address to match.
        self.served_everywhere: dict[tuple[Any, ...], str] = {}

    def write_article(self, record: dict[str, Any]) -> ArticleChange:
        """Insert or update by canonical URL; a changed text becomes a new version.

        A re-crawl never adds a second article row, and an unchanged page no new version.
        """
        row = to_row(record)
        article = {k: v for k, v in row.items() if k not in CAPTURE_COLUMNS}
        version = {k: v for k, v in row.items() if k not in PERIOD_COLUMNS}
        with self.db.atomic():
            existing = self.db.execute(
                "select sha256, title, version from articles where url = ?", [row["url"]]
            ).fetchone()
            if existing is None:
                self.db.table("articles").insert({**article, "version": 1, "removed_at": None})
                self.db.table("article_versions").insert(version_row(version, 1))
                return "new"
            sha256, title, number = existing
            if (sha256, title) == (row["sha256"], row["title"]):
                self._touch(row)
                return "unchanged"
            number = (number or 0) + 1
            self.db.table("articles").update(row["url"], {**article, "version": number, "removed_at": None})
            self.db.table("article_versions").insert(version_row(version, number))
            return "updated"

    def rewrite_version(self, url: str, number: int, extracted: dict[str, Any]) -> bool:
        """Replace a version's derived text and metadata (re-extraction); the capture stays.

        The article row follows when this is its current version. Returns whether the text changed.
        """
        article_fields = text_columns(url, extracted)
        fields = {k: v for k, v in article_fields.items() if k in REWRITTEN}
        with self.db.atomic():
            before = self.db.execute(
                "select id, sha256, title from article_versions where article_url = ? and version = ?", [url, number]
            ).fetchone()
            if before is None:
                raise LookupError(f"{url} has no version {number}")
            self.db.table("article_versions").update(before[0], fields)
            self.db.execute(
                f"update articles set {', '.join(f'{k} = ?' for k in article_fields)} where url = ? and version = ?",
                [*article_fields.values(), url, number],
            )
        return (before[1], before[2]) != (fields["sha256"], fields["title"])

    def article_of(self, record: dict[str, Any]) -> str:
        """Which archived article a fetched page is (its key, `url`): the one at the page's own
        canonical URL; else the one at the address fetched, or last served where the page now
        says it lives (the article moved: a site gone to https, to a new host name or permalink
        structure, redirects its old addresses); else one of the same title, text and
        publication date (the same post named at its new address). None: a new article.

        Without the last two, a site that moved its articles had each archived a second time.
        Not the row last *fetched* at the address: one address may serve many articles in turn
        (a "random post" link redirects to a different one each time).
        """
        site, url = record["site"], record["url"]
        if self.db.execute("select 1 from articles where url = ?", [url]).fetchone():
            return url
        found = self.db.execute(
            "select url from articles where url = ? and site = ? "
            "union all select url from articles where site = ? and final_url = ? limit 1",
            [record.get("source_url") or url, site, site, url],
        ).fetchone()
        if found is None and record.get("published"):
            found = self.db.execute(
                "select url from articles where site = ? and sha256 = ? and title = ? and published = ? limit 1",
                [site, body_hash(record["body"]), record["title"], record["published"]],
            ).fetchone()
        return found[0] if found else url

    def taken_text(self, record: dict[str, Any]) -> str | None:
        """Another article whose title and text an archived article's page now holds, one the
        two never shared: that article's URL; None for a new address or a text of its own.

        A maintenance, block or not-found page that a site answers at every address extracts
        to one title and text, and became each article's current version. An article published
        at two addresses (twins, their texts alike in every version) may still change alike.
        A text found so is remembered for the run: once withdrawn, no article holds it.
        """
        sha256, title, url = body_hash(record["body"]), record["title"], record["url"]
        key = (record.get("crawl_run"), record["site"], sha256, title)
        if key in self.served_everywhere:
            own = "select 1 from articles where url = ? and (sha256, title) != (?, ?)"
            return self.served_everywhere[key] if self.db.execute(own, [url, sha256, title]).fetchone() else None
        sql = """
            select other.url from articles own join articles other
              on other.site = own.site and other.sha256 = ? and other.title = ? and other.url != own.url
            where own.url = ? and (own.sha256, own.title) != (?, ?)
              and not exists (select 1 from article_versions twin where twin.article_url = other.url
                              and twin.sha256 = own.sha256 and twin.title = own.title)
            limit 1
        """
        found = self.db.execute(sql, [sha256, title, url, sha256, title]).fetchone()
        if found is not None:
            self.served_everywhere[key] = found[0]
        return found[0] if found else None

    def withdraw_version(self, url: str, crawl_run: int | None) -> bool:
        """Put an article's previous text back when its current version, taken in this run, is
        found to be a page the site serves at many addresses (`taken_text` refused the next
        address to answer with it). Returns whether a version was withdrawn.

        The first address to answer with a maintenance page had nothing to compare it with and
        took it as a new version. The version's row goes; its capture stays in its WARC file.
        """
        if crawl_run is None:
            return False
        with self.db.atomic():
            taken = self.db.execute(
                "select v.id, v.version from articles a join article_versions v"
                " on v.article_url = a.url and v.version = a.version"
                " where a.url = ? and a.version > 1 and v.crawl_run = ?",
                [url, crawl_run],
            ).fetchone()
            if taken is None:
                return False
            version_id, number = taken
            previous = self.db.execute(
                f"select {', '.join(REWRITTEN)} from article_versions where article_url = ? and version = ?",
                [url, number - 1],
            ).fetchone()
            fields = text_columns(url, dict(zip(REWRITTEN, previous, strict=True))) | {"version": number - 1}
            self.db.table("articles").update(url, fields)
            self.db.execute("delete from article_versions where id = ?", [version_id])
        return True

    def _touch(self, row: dict[str, Any]) -> None:
        keep = ("source_url", "final_url", "fetched_at", "http_status", "etag", "last_modified", "crawl_run")
        self.db.table("articles").update(row["url"], {k: row.get(k) for k in keep} | {"removed_at": None})

    def not_modified(self, url: str, fetched_at: str, crawl_run: int | None = None) -> bool:
        """A 304 to a conditional re-fetch: the page is unchanged as of `fetched_at`."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update articles set fetched_at = ?, crawl_run = ?, removed_at = null where url = ? or source_url = ?",
                [fetched_at, crawl_run, url, url],
            )
            return cursor.rowcount > 0

    # -- attachments ------------------------------------------------------------------
    def write_attachment(self, record: dict[str, Any]) -> None:
        """Insert or update a file by URL (an upsert: the text index's update trigger fires)."""
        with self.db.atomic():
            self.db.table("attachments").upsert(record, pk="url")

    def attachment_not_modified(self, url: str, fetched_at: str, crawl_run: int | None = None) -> None:
        with self.db.atomic():
            self.db.execute(
                "update attachments set fetched_at = ?, crawl_run = ? where url = ?", [fetched_at, crawl_run, url]
            )

    def link_attachments(self, article_url: str, refs: list[tuple[str, str]]) -> None:
        """Which files the article's page links or shows now, in order (replacing the last list:
        a file the page no longer holds stays archived, unlinked from it)."""
        rows = [
            {"article_url": article_url, "attachment_url": url, "role": role, "position": n}
            for n, (url, role) in enumerate(refs)
        ]
        with self.db.atomic():
            self.db.execute("delete from article_attachments where article_url = ?", [article_url])
            self.db.table("article_attachments").insert_all(rows, pk=("article_url", "attachment_url"))

    def record_failure(
        self,
        url: str,
        reason: str,
        site: str | None = None,
        http_status: int | None = None,
        kind: str | None = None,
        crawl_run: int | None = None,
    ) -> bool:
        """Log the failure; a known article answering 404/410 is marked removed (never deleted).

        Returns whether an archived article was marked removed.
        """
        with self.db.atomic():
            self.db.table("failures").insert(failure_row(url, reason, site, http_status, kind, crawl_run, utc_now()))
            if http_status not in GONE_STATUSES:
                return False
            cursor = self.db.execute(
                "update articles set removed_at = ? where (url = ? or source_url = ?) and removed_at is null",
                [utc_now(), url, url],
            )
            return cursor.rowcount > 0

    def record_unfetched(self, urls: list[str], reason: str, site: str, kind: str, crawl_run: int) -> None:
        """Pages a run named and ended without fetching, in one insert: a budget can leave
        hundreds of thousands (one insert each took a minute for 850,000)."""
        now = utc_now()
        rows = (failure_row(url, reason, site, None, kind, crawl_run, now) for url in urls)
        with self.db.atomic():
            self.db.table("failures").insert_all(rows, batch_size=1000)

    def replace_left_pages(self, site: str, kind: str, crawl_run: int) -> int:
        """Forget what earlier runs of `site` left unfetched for `kind` (a budget): each run names
        those pages again and fetches them or leaves them again, so only the latest run's rows
        say what is still owed (a site naming a million pages left 850,000 rows every run)."""
        with self.db.atomic():
            sql = "delete from failures where site = ? and kind = ? and crawl_run < ?"
            return self.db.execute(sql, [site, kind, crawl_run]).rowcount

    def record_traps(self, site: str, traps: dict[str, tuple[str, str]], crawl_run: int | None = None) -> None:
        """Traps found (pattern -> (bound, reason)); a later run refuses them unwalked."""
        rows = [
            {
                "site": site,
                "pattern": pattern,
                "bound": bound,
                "reason": reason,
                "found": utc_now(),
                "crawl_run": crawl_run,
            }
            for pattern, (bound, reason) in traps.items()
        ]
        with self.db.atomic():
            self.db.table("traps").upsert_all(rows, pk=("site", "pattern"))

    def forget_site(self, site: str, articles: bool = False) -> dict[str, int]:
        """Remove a site's run records, failures and traps (and, with `articles`, its articles
        and every version of them): rows per table. The WARC files keep their captures."""
        tables = ["crawl_runs", "failures", "traps"]
        removed: dict[str, int] = {}
        with self.db.atomic():
            if articles:
                for table in ("article_versions", "article_attachments"):
                    removed[table] = self.db.execute(
                        f"delete from {table} where article_url in (select url from articles where site = ?)",
                        [site],
                    ).rowcount
                tables[:0] = ["articles", "attachments"]
            for table in tables:
                removed[table] = self.db.execute(f"delete from {table} where site = ?", [site]).rowcount
        return removed

    # -- crawl runs -------------------------------------------------------------------
    def start_run(self, site: str, pid: int) -> int:
        with self.db.atomic():
            table = self.db.table("crawl_runs").insert(
                {"site": site, "started": utc_now(), "status": "running", "pid": pid}
            )
            return int(table.last_pk or 0)

    def finish_run(self, run_id: int, status: str, figures: dict[str, Any]) -> None:
        known = {k: v for k, v in figures.items() if k in self.db.table("crawl_runs").columns_dict}
        with self.db.atomic():
            self.db.table("crawl_runs").update(run_id, {**known, "status": status, "finished": utc_now()})

    def close_abandoned_runs(self, site: str, live_pid: int) -> int:
        """Runs left 'running' by a killed process (the caller holds the site's lock)."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update crawl_runs set status = 'killed', stop_reason = 'process ended without finishing' "
                "where site = ? and status = 'running' and pid != ?",
                [site, live_pid],
            )
            return cursor.rowcount
