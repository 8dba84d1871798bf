"""An item pipeline that fails on the first articles it sees, as a bug or a full disk would.

`python -m tests.broken_pipeline DB BASE_URL` crawls BASE_URL into DB with the project's
pipelines plus this one, and prints the run's status, its count of lost pages and its message
(tests/test_scheduled.py).
"""

from __future__ import annotations

import sys
from typing import Any

from crawler.items import Article

FAILING_ARTICLES = 3


class FailOnFirstArticles:
    def __init__(self) -> None:
        self.seen = 0

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.seen += 1
            if self.seen <= FAILING_ARTICLES:
                raise OSError(f"[Errno 28] No space left on device (injected for {item.url})")
        return item


def main() -> None:
    from crawler.run import crawl
    from crawler.settings import ITEM_PIPELINES

    db, base_url = sys.argv[1], sys.argv[2]
    pipelines = {**ITEM_PIPELINES, "tests.broken_pipeline.FailOnFirstArticles": 250}
    result = crawl(db, urls=[base_url], overrides={"ITEM_PIPELINES": pipelines})[0]
    print(result.status, result.figures["lost"], result.message)


if __name__ == "__main__":
    main()
