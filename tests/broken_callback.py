"""A fault in reading pages: the spider's output raises on the first articles, as a bug would.

`python -m tests.broken_callback DB BASE_URL` crawls BASE_URL into DB with the project's spider
middlewares plus this one, nearest the spider, so Scrapy hands its exception on as it would a
callback's (tests/test_scheduled.py).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from crawler.items import FetchedPage

FAILING_PAGES = 3


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


def main() -> None:
    from crawler.run import crawl
    from crawler.settings import SPIDER_MIDDLEWARES

    db, base_url = sys.argv[1], sys.argv[2]
    middlewares = {**SPIDER_MIDDLEWARES, "tests.broken_callback.FailOnFirstPages": 995}
    result = crawl(db, urls=[base_url], overrides={"SPIDER_MIDDLEWARES": middlewares})[0]
    print(result.status, result.message)


if __name__ == "__main__":
    main()
