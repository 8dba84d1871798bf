"""Scrapy settings: the one place for crawl configuration. Polite by default.

Every GOVARCHIVE_* environment variable named below overrides its setting.
"""

from __future__ import annotations

import os

BOT_NAME = "govarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

GOVARCHIVE_DB = os.environ.get("GOVARCHIVE_DB", "data/archive.db")
GOVARCHIVE_PROJECT_URL = "https://github.com/govarchive/govarchive"
# Where an agency can reach whoever runs the crawl (a URL or an e-mail address). Unset, the
# User-Agent names only the project, and crawling a real site prints a warning.
GOVARCHIVE_CONTACT = os.environ.get("GOVARCHIVE_CONTACT", "")
USER_AGENT = (
    f"govarchive/0.1 (+{GOVARCHIVE_PROJECT_URL}"
    + (f"; contact: {GOVARCHIVE_CONTACT}" if GOVARCHIVE_CONTACT else "")
    + "; archives public government news)"
)

# Politeness: robots.txt, a delay, few requests per site, AutoThrottle backing off.
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "crawler.robots.BoundedRobotParser"
GOVARCHIVE_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309's least parsing limit; the rest is ignored
# robots.txt's Crawl-delay is kept between requests to its site, up to this many seconds (a
# longer one would stretch a crawl past its time budget: 2,000 pages at 60 s take 33 hours).
GOVARCHIVE_MAX_CRAWL_DELAY = float(os.environ.get("GOVARCHIVE_MAX_CRAWL_DELAY", "30"))
DOWNLOAD_DELAY = float(os.environ.get("GOVARCHIVE_DOWNLOAD_DELAY", "1.0"))
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("GOVARCHIVE_CONCURRENCY", "2"))
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
# Loopback targets (the offline mirror, test servers) are ours: no delay needed there.
GOVARCHIVE_UNTHROTTLED_HOSTS = tuple(
    h for h in os.environ.get("GOVARCHIVE_UNTHROTTLED_HOSTS", "127.0.0.1,localhost,::1").split(",") if h
)

GOVARCHIVE_MAX_RETRY_AFTER = 600.0  # seconds; a longer Retry-After is capped
# A site is down, and its crawl ends `failed`, once this many tries in a row had no answer (no
# response, or 429/502/503/504) and none had one for this many seconds (crawler/site_down.py).
GOVARCHIVE_DOWN_AFTER_TRIES = int(os.environ.get("GOVARCHIVE_DOWN_AFTER_TRIES", "20"))
GOVARCHIVE_DOWN_AFTER_SECONDS = float(os.environ.get("GOVARCHIVE_DOWN_AFTER_SECONDS", "600"))

# Requests waiting to be fetched past this many wait on disk, beside the archive, for this run
# only (crawler/pending.py): 200,000 waiting in memory took the main process to 906 MB.
SCHEDULER = "crawler.pending.SpillingScheduler"
GOVARCHIVE_QUEUE_MEMORY = int(os.environ.get("GOVARCHIVE_QUEUE_MEMORY", "10000"))

# -- Bounds: one bad site must never hang or bloat a run (README, "Reliability") ----------
# Whatever hits a bound is recorded in `failures` with its reason and counted in the run's
# `crawl_runs.bounds`, keyed by the setting's name.
# One response: the whole download, first byte to last, so a trickle is cut too.
DOWNLOAD_TIMEOUT = float(os.environ.get("GOVARCHIVE_DOWNLOAD_TIMEOUT", "60"))
# One response's size, on the wire (declared or counted) and while decompressing: a gzip
# bomb is stopped at this many bytes, before more memory is committed.
DOWNLOAD_MAXSIZE = int(os.environ.get("GOVARCHIVE_DOWNLOAD_MAXSIZE", str(32 * 2**20)))
DOWNLOAD_WARNSIZE = 8 * 2**20
GOVARCHIVE_SITEMAP_MAXSIZE = 64 * 2**20  # sitemaps may be 50 MB uncompressed (sitemaps.org)
# A response's status line and headers, which DOWNLOAD_MAXSIZE does not count (crawler/header_bound.py).
GOVARCHIVE_MAX_HEADER_BYTES = int(os.environ.get("GOVARCHIVE_MAX_HEADER_BYTES", str(256 * 2**10)))
# The pages one sitemap, feed or listing may name (the first are followed): sitemaps.org's limit
# for one sitemap; a listing names a few hundred, and each name costs the crawl's main process.
GOVARCHIVE_MAX_PAGE_LINKS = int(os.environ.get("GOVARCHIVE_MAX_PAGE_LINKS", "50000"))
REDIRECT_MAX_TIMES = 10
# Cookies a site may keep for a crawl (RFC 6265's least a browser keeps for a site); past it,
# new ones are not kept. A site that set one per page (a view counter) made every request
# carry them all: 3.5x the CPU at 2,000 pages, and servers refuse such headers.
GOVARCHIVE_MAX_COOKIES = int(os.environ.get("GOVARCHIVE_MAX_COOKIES", "50"))
# A cookie's name and value (RFC 6265's least a browser keeps; browsers refuse larger ones): a
# cookie that grows on every page ("recently read") otherwise grows until servers refuse it.
GOVARCHIVE_MAX_COOKIE_BYTES = int(os.environ.get("GOVARCHIVE_MAX_COOKIE_BYTES", "4096"))
# Per site and run; a crawl that reaches one stops, and the pages it named but did not
# fetch are recorded as `budget` failures (the next run fetches them).
GOVARCHIVE_MAX_REQUESTS = int(os.environ.get("GOVARCHIVE_MAX_REQUESTS", "200000"))
GOVARCHIVE_MAX_BYTES = int(os.environ.get("GOVARCHIVE_MAX_BYTES", str(4 * 2**30)))  # response bodies
CLOSESPIDER_PAGECOUNT = int(os.environ.get("GOVARCHIVE_MAX_PAGES", "100000"))  # responses; --max-pages
CLOSESPIDER_TIMEOUT = int(os.environ.get("GOVARCHIVE_MAX_SECONDS", str(6 * 3600)))  # wall time; --max-seconds
# Traps (crawler/traps.py): URL spaces a site generates without end.
GOVARCHIVE_TRAP_FRUITLESS_PAGES = 20  # listing pages of one URL shape in a row without a new article
GOVARCHIVE_TRAP_MAX_PATH_SEGMENTS = 12
GOVARCHIVE_TRAP_MAX_SEGMENT_REPEATS = 2  # /a/b/a/b/a/ repeats `a` three times
GOVARCHIVE_TRAP_MAX_URL_LENGTH = 1024
GOVARCHIVE_TRAP_MAX_QUERY_SHAPES = 8  # distinct sets of query keys under one path
GOVARCHIVE_TRAP_EARLIEST_YEAR = 1990  # dates in URLs before this, or after next year, are traps
# Attachments (crawler/attachments.py, crawler/documents.py): the files an article links on the
# agency's own site and the images in it, fetched once and re-validated like articles.
# Which kinds: "documents,images", "documents", or "" for none.
GOVARCHIVE_ATTACHMENTS = os.environ.get("GOVARCHIVE_ATTACHMENTS", "documents,images")
GOVARCHIVE_ATTACHMENT_MAXSIZE = int(os.environ.get("GOVARCHIVE_ATTACHMENT_MAXSIZE", str(50 * 2**20)))  # one file
GOVARCHIVE_ATTACHMENTS_PER_ARTICLE = int(os.environ.get("GOVARCHIVE_ATTACHMENTS_PER_ARTICLE", "20"))
GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN = int(os.environ.get("GOVARCHIVE_ATTACHMENT_BYTES_PER_RUN", str(2 * 2**30)))
# Reading a file's text: each program (pdftotext, a page's rendering, a page's OCR) bounded in
# time and memory; OCR bounded in pages and time per document; an Office file in bytes unpacked.
GOVARCHIVE_ATTACHMENT_SECONDS = float(os.environ.get("GOVARCHIVE_ATTACHMENT_SECONDS", "60"))
GOVARCHIVE_ATTACHMENT_MEMORY = int(os.environ.get("GOVARCHIVE_ATTACHMENT_MEMORY", str(2**30)))
GOVARCHIVE_ATTACHMENT_OCR_PAGES = int(os.environ.get("GOVARCHIVE_ATTACHMENT_OCR_PAGES", "20"))
GOVARCHIVE_ATTACHMENT_OCR_SECONDS = float(os.environ.get("GOVARCHIVE_ATTACHMENT_OCR_SECONDS", "300"))
GOVARCHIVE_ATTACHMENT_UNPACKED = 64 * 2**20
GOVARCHIVE_OCR_LANGUAGES = os.environ.get("GOVARCHIVE_OCR_LANGUAGES", "tha+eng")  # Tesseract's models
# Files read at once (each read runs its programs as child processes; this many cores' worth).
GOVARCHIVE_ATTACHMENT_READERS = int(os.environ.get("GOVARCHIVE_ATTACHMENT_READERS", "2"))
# Incremental crawls: known articles are not fetched again unless --refresh, a sitemap
# lastmod newer than our copy, or this many days since we fetched them.
GOVARCHIVE_REVISIT_DAYS = float(os.environ.get("GOVARCHIVE_REVISIT_DAYS", "30"))
# Pages that are no articles (sitemaps, feeds, listings, about pages) are revalidated with
# conditional requests through Scrapy's RFC 2616 cache (crawler/page_cache.py); run.py puts it
# beside the archive (HTTPCACHE_DIR).
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.page_cache.Revalidating"
HTTPCACHE_STORAGE = "crawler.page_cache.PageStore"
# A cached page no run has asked for in this long is removed when a run ends (and, as in
# Scrapy, fetched whole if asked for again).
HTTPCACHE_EXPIRATION_SECS = 60 * 24 * 3600
HTTPCACHE_GZIP = True

SPIDER_MIDDLEWARES = {
    "crawler.spiders.accounting.CallbackErrors": 990,  # nearest the spider: offered its exceptions first
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.StrictRobotsTxt": 100,  # every request waits for the rules; a 5xx forbids the site
    "crawler.budget.Budget": 120,  # after robots.txt (100): requests it forbids cost nothing
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.BoundedCookies": 700,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.AccountableMetaRefresh": 580,
    "crawler.middlewares.AccountableRedirect": 600,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.site_down.SiteDown": 560,  # between the retries and the network: sees every try
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.CheckedDecompression": 590,
    # Responses pass down the numbers: after decompression (590), which would undo the check
    "crawler.middlewares.EncodingFixMiddleware": 585,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawler.page_cache.PageCache": 900,  # Scrapy's place for it: stores bodies as they came
    "crawler.middlewares.NetworkStats": 990,  # closest to the network: sees real 200s and 304s
    "crawler.recording.RecorderMiddleware": 995,  # only when GOVARCHIVE_RECORD_DIR is set
}
GOVARCHIVE_RECORD_DIR = ""
# Extraction runs in this many worker processes ("auto": one per CPU; 0: in the crawler).
GOVARCHIVE_EXTRACT_WORKERS = os.environ.get("GOVARCHIVE_EXTRACT_WORKERS", "auto")
# What one page may cost an extraction worker (crawler/page_bounds.py): CPU seconds (an article
# takes milliseconds), and the worker's address space in bytes (~260 MB once it has extracted
# a page; an article takes a few MB more). Past either, the page is an `extraction` failure.
GOVARCHIVE_EXTRACT_SECONDS = float(os.environ.get("GOVARCHIVE_EXTRACT_SECONDS", "60"))
GOVARCHIVE_EXTRACT_MEMORY = int(os.environ.get("GOVARCHIVE_EXTRACT_MEMORY", str(2**30)))
# Characters of text (title and body) one article may store: the longest of the 836 reference
# articles of ../shared/corpus has 49,264. A 10 MB page of text made a 26 MB archive of one
# article (its full-text index and its versions grow with it); past this it is an `extraction`
# failure naming the bound, its capture kept.
GOVARCHIVE_MAX_TEXT_CHARS = int(os.environ.get("GOVARCHIVE_MAX_TEXT_CHARS", "1000000"))
# Pages that wait while every worker is busy go to the next free one together, at most this
# many in one trip (crawler/workers.py); 1 sends each page on its own.
GOVARCHIVE_EXTRACT_BATCH = int(os.environ.get("GOVARCHIVE_EXTRACT_BATCH", "8"))
# Archive writes are committed in groups: at most this many writes or this many seconds per
# transaction (a killed crawl loses at most that much, which the next run fetches again).
GOVARCHIVE_COMMIT_MAX_WRITES = 64
GOVARCHIVE_COMMIT_MAX_SECONDS = 0.25
# A crawl across hosts (`crawl --redis URL`, `ingest --redis URL`; docs/scaling.md): workers share
# a frontier in Redis and hand their results to the archive's one writer through it.
GOVARCHIVE_REDIS_URL = ""  # set by --redis; empty: this process writes the archive itself
GOVARCHIVE_REDIS_NAMESPACE = os.environ.get("GOVARCHIVE_REDIS_NAMESPACE", "govarchive")  # key prefix
# A worker exits once nothing is queued or leased and the frontier was quiet this long.
GOVARCHIVE_REDIS_QUIET_SECONDS = float(os.environ.get("GOVARCHIVE_REDIS_QUIET_SECONDS", "5"))
# A worker that has not renewed its heartbeat for this long is dead: its requests are re-queued.
GOVARCHIVE_REDIS_LEASE_SECONDS = float(os.environ.get("GOVARCHIVE_REDIS_LEASE_SECONDS", "15"))
# Workers pause while the results not yet written exceed this (compressed captures included).
GOVARCHIVE_REDIS_BACKLOG_BYTES = int(os.environ.get("GOVARCHIVE_REDIS_BACKLOG_BYTES", str(256 * 2**20)))
# A worker's delay between requests to one host, across all workers (crawler/pace.py); the
# worker sets it from DOWNLOAD_DELAY and turns Scrapy's own per-process delay off.
GOVARCHIVE_SHARED_DELAY = 0.0
# How long a worker waits for the writer to open its run before giving up.
GOVARCHIVE_REDIS_JOIN_SECONDS = float(os.environ.get("GOVARCHIVE_REDIS_JOIN_SECONDS", "60"))
# Back-pressure: responses (bytes) in processing at once, waiting for extraction or commit.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 10_000_000
# Scrapy starts this many asyncio tasks for every response's output, however little it holds
# (about 1 ms of the reactor's time per page at the default 100); an article page yields one
# item, a sitemap a few hundred requests that are merely scheduled.
CONCURRENT_ITEMS = 8
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.progress.Progress": 500,
    # No listening ports beside the crawl; None also spares every crawl importing them (0.2 s).
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
GOVARCHIVE_PROGRESS_INTERVAL = float(os.environ.get("GOVARCHIVE_PROGRESS_INTERVAL", "10"))  # 0: no lines
GOVARCHIVE_PROGRESS_BAR = False  # a bar per site instead of lines; the CLI sets it at a terminal
# govarchive's own log (progress, pages not archived and why); -q makes it ERROR, -vv DEBUG.
LOG_LEVEL = os.environ.get("GOVARCHIVE_LOG_LEVEL", "INFO")
# Scrapy's own loggers (its banner, middlewares, engine): only their warnings; -v shows all.
GOVARCHIVE_SCRAPY_LOG_LEVEL = os.environ.get("GOVARCHIVE_SCRAPY_LOG_LEVEL", "WARNING")
LOGSTATS_INTERVAL = 0  # crawler.progress reports instead
STATS_DUMP = False  # the CLI prints a summary; the full stats go to DEBUG
LOG_INSTALL_ROOT_HANDLER = True
FEED_EXPORT_ENCODING = "utf-8"
