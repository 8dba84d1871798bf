"""One definition of the archive's columns (archive/schema.py), and migrations that are frozen
history: a fresh archive, an upgraded first-release archive, the item, the extractor's result,
datasette and the README all agree with it."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import yaml

from archive.browse import write_metadata
from archive.db import open_archive
from archive.schema import ARTICLE_COLUMNS, ARTICLES, ATTACHMENTS, TABLES
from archive.store import ACCEPTED, DERIVED
from crawler.extract import Extracted
from crawler.items import Article, Attachment
from tests.conftest import FILES

README = FILES.parent.parent / "README.md"
SQL_TYPES = {str: "TEXT", int: "INTEGER"}


def schema_of(db: Path) -> dict[str, list[tuple]]:
    """Per table, index and trigger of the archive: its columns (name, type, not null, key), or its SQL."""
    with sqlite3.connect(db) as connection:
        shape: dict[str, list[tuple]] = {}
        names = connection.execute(
            "select type, name, sql from sqlite_master where name not like 'sqlite_%'"
        ).fetchall()
        for kind, name, sql in names:
            if kind == "table":
                info = connection.execute(f"pragma table_info('{name}')").fetchall()
                shape[name] = [(c[1], c[2], c[3], c[5]) for c in info]
            else:
                shape[f"{kind} {name}"] = [(" ".join((sql or "").split()),)]
        return shape


def test_a_fresh_archive_has_exactly_the_columns_schema_py_describes(tmp_path: Path) -> None:
    open_archive(tmp_path / "a.db").close()
    shape = schema_of(tmp_path / "a.db")
    for table, columns in TABLES.items():
        assert [(name, kind) for name, kind, *_ in shape[table]] == [
            (name, SQL_TYPES[column.type]) for name, column in columns.items()
        ], table


def test_the_first_releases_archive_upgrades_to_a_fresh_archives_schema(tmp_path: Path) -> None:
    old = tmp_path / "first-release.db"
    with sqlite3.connect(old) as connection:
        connection.executescript((FILES / "first-release.sql").read_text("utf-8"))
    open_archive(old).close()
    open_archive(tmp_path / "fresh.db").close()
    upgraded, fresh = schema_of(old), schema_of(tmp_path / "fresh.db")
    assert set(upgraded) == set(fresh)
    for name in fresh:
        assert upgraded[name] == fresh[name], name
    with sqlite3.connect(old) as connection:  # what the first release stored is still there, as version 1
        assert connection.execute("select version, title from article_versions").fetchall() == [(1, "ข่าวแรก")]
        found = connection.execute("select count(*) from articles_fts where articles_fts match 'ปรับรุ่น'")
        assert found.fetchone() == (1,)


def test_the_article_item_carries_every_column_the_writer_does_not_derive() -> None:
    assert {f.name for f in dataclasses.fields(Article)} - {"capture", "attachments"} == ACCEPTED - DERIVED
    assert set(ARTICLES) >= DERIVED


def test_the_attachment_item_carries_every_attachments_column() -> None:
    assert {f.name for f in dataclasses.fields(Attachment)} - {"capture"} == set(ATTACHMENTS)


def test_what_extraction_returns_is_stored_in_article_columns() -> None:
    assert {f.name for f in dataclasses.fields(Extracted)} - {"files"} <= set(ARTICLE_COLUMNS)


def test_datasette_describes_every_column(tmp_path: Path) -> None:
    metadata = yaml.safe_load(write_metadata(tmp_path / "a.db", tmp_path / "m.yml").read_text("utf-8"))
    tables = metadata["databases"]["a"]["tables"]
    for table, columns in TABLES.items():
        assert set(tables[table]["columns"]) == set(columns), table
        assert all(tables[table]["columns"].values())


def test_the_readme_names_every_column() -> None:
    section = README.read_text("utf-8").split("## Where the archive lives")[1].split("\n## ")[0]
    entries = {m[1]: m[2] for m in re.finditer(r"^- `(\w+)`:(.*?)(?=^- |\Z)", section, re.MULTILINE | re.DOTALL)}
    for table, columns in TABLES.items():
        assert set(columns) <= set(re.findall(r"`(\w+)`", entries[table])), table
