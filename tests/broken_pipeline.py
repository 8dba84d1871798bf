"""An item pipeline that fails on the first articles it sees, as a bug or a full disk would.

Used by tests/test_scheduled.py through the ITEM_PIPELINES setting, in a real crawl.
"""

from __future__ import annotations

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
