"""What became of a page, in words the archive keeps: the `failures.kind` column, the skip
counters of `crawl_runs` and its bounds counters. Plain names, no Scrapy: the archive writer's
process reads them too."""

from __future__ import annotations

# Failure kinds: the `failures.kind` column; each reason's words say more.
HTTP_ERROR = "http_error"
TIMEOUT = "timeout"
TOO_LARGE = "too_large"
TRUNCATED = "truncated"
CORRUPT = "corrupt"  # a body that does not decompress as its Content-Encoding says
CONNECTION = "connection"
NOT_HTML = "not_html"
EMPTY = "empty"
REDIRECT_LOOP = "redirect_loop"
TOO_MANY_REDIRECTS = "too_many_redirects"
OFFSITE_REDIRECT = "offsite_redirect"
TRAP = "trap"
BUDGET = "budget"
STOPPED = "stopped"
EXTRACTION = "extraction"
VALIDATION = "validation"
UNREADABLE = "unreadable"  # an attachment kept as fetched whose text could not be read
BAD_URL = "bad_url"  # an address no request can be made for, named by a sitemap, feed or the API
# An archived article's address answering 200 with what is not the article: the title and text
# of another article (a maintenance, block or not-found page served in place of many), or a
# listing or another page.
SAME_PAGE = "same_page"
NOT_ARTICLE_NOW = "not_article_now"
OTHER = "other"
FINISHED = "finished"  # Scrapy's finish reason for a crawl that ran out of requests
DISK_FULL = "disk_full"  # a crawl's finish reason when the archive's disk filled up
WRITER_GONE = "writer_gone"  # a crawl's finish reason when its archive writer process died
FRONTIER_LOST = "frontier_lost"  # a worker's, when Redis went away; a shared run's, when its keys did
# Kinds that are bounds we set, not faults of the site: they do not count towards the
# failure rate that fails a run.
BOUND_KINDS = frozenset({TRAP, BUDGET, STOPPED})
# Skips: counted in the run's `crawl_runs.skipped`, never written to `failures`.
NOT_ARTICLE = "not_article"
KNOWN = "known"  # archived before and not due for a revisit (crawler/incremental.py)
DUPLICATE = "duplicate"  # the same page under another URL, or a redirect to a page fetched already
ROBOTS = "robots"  # robots.txt forbids it
FRUITLESS = "fruitless_listing"  # a discovery page of a shape that stopped yielding new articles
KNOWN_TRAP = "known_trap"  # a shape an earlier run found fruitless
OFFSITE = "offsite"  # a page of another host that a sitemap, feed or the API named


def bound_counter(setting: str) -> str:
    """The stats counter of what `setting` stopped: the run's `crawl_runs.bounds` sums them."""
    return f"govarchive/bounds/{setting}"
