"""Faults injected into a real crawl, as a bug or a full disk would cause them.

`python -m tests.broken_parts PART DB BASE_URL` crawls BASE_URL into DB with the project's
settings plus the broken PART, and prints the run's status, its count of lost pages and its
message (tests/test_scheduled.py):

- `pipeline`: an item pipeline that fails on the first articles it sees;
- `callback`: the spider's output raises on the first article pages, nearest the spider, so
  Scrapy hands the exception on as it would a callback's.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from crawler.items import Article, FetchedPage

FAILING_ARTICLES = 3  # of the pipeline
FAILING_PAGES = 3  # of the spider's output


class FailOnFirstArticles:
    def __init__(self) -> None:
        self.seen = 0

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.seen += 1
            if self.seen <= FAILING_ARTICLES:
                raise OSError(f"[Errno 28] No space left on device (injected for {item.url})")
        return item


class FailOnFirstPages:
    def __init__(self) -> None:
        self.seen = 0

    async def process_spider_output(self, response: Any, result: AsyncIterable[Any]) -> AsyncIterator[Any]:
        async for item in result:
            if isinstance(item, FetchedPage):
                self.seen += 1
                if self.seen <= FAILING_PAGES:
                    raise ValueError(f"injected fault reading {item.source_url}")
            yield item


def overrides(part: str) -> dict[str, Any]:
    from crawler.settings import ITEM_PIPELINES, SPIDER_MIDDLEWARES

    if part == "pipeline":
        return {"ITEM_PIPELINES": {**ITEM_PIPELINES, "tests.broken_parts.FailOnFirstArticles": 250}}
    return {"SPIDER_MIDDLEWARES": {**SPIDER_MIDDLEWARES, "tests.broken_parts.FailOnFirstPages": 995}}


def main() -> None:
    from crawler.run import crawl

    part, db, base_url = sys.argv[1:4]
    result = crawl(db, urls=[base_url], overrides=overrides(part))[0]
    print(result.status, result.figures["lost"], result.message)


if __name__ == "__main__":
    main()
