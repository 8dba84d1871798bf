"""Baseline (b): the naive single-process pipeline the issue describes.

The same crawl, pipelines and archive as `govarchive crawl`, with everything inside Scrapy's
item pipelines on the reactor thread: extraction in-process (GOVARCHIVE_EXTRACT_WORKERS=0)
and each archive write done there too, one transaction per article, as a plain sqlite-utils
pipeline would. It stalls the crawler on one core, which is what the pool is measured against.

`python -m bench.naive_crawl BASE_URL DB`
"""

from __future__ import annotations

import sys

from archive.db import open_archive
from archive.store import ArchiveWriter
from crawler.pipelines import ArchivePipeline
from crawler.run import crawl
from crawler.settings import ITEM_PIPELINES
from crawler.writes import Written, write_item


class InlineArchivePipeline(ArchivePipeline):
    """Writes on the reactor thread as each item arrives: no writer thread, no groups."""

    def open_spider(self) -> None:
        self.inline = ArchiveWriter(open_archive(self.db_path))

    def close_spider(self) -> None:
        self.inline.db.close()

    async def write(self, item: Written) -> list[str]:
        return write_item(self.inline, item)


def naive_pipelines() -> dict[str, int]:
    """The project's pipelines, with the archive writer swapped for the inline one."""
    pipelines = dict(ITEM_PIPELINES)
    order = pipelines.pop("crawler.pipelines.ArchivePipeline")
    return {**pipelines, "bench.naive_crawl.InlineArchivePipeline": order}


def main() -> None:
    base_url, db = sys.argv[1], sys.argv[2]
    overrides = {"GOVARCHIVE_EXTRACT_WORKERS": "0", "ITEM_PIPELINES": naive_pipelines(), "LOG_LEVEL": "WARNING"}
    results = crawl(db, urls=[base_url], spider_args={"routes": "sitemap"}, overrides=overrides)
    if not all(result.ok for result in results):
        sys.exit(f"naive crawl failed: {results}")


if __name__ == "__main__":
    main()
