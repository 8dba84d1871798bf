"""The crawl: Scrapy spiders, their middlewares, and the pipeline that archives what they fetch."""

import os

# Scrapy's cookie middleware splits domains with tldextract, which on its first use on a machine
# downloads the Public Suffix List from publicsuffix.org: a request to a host no crawl chose
# (offline, a traceback). The copy tldextract ships serves; a user may name a list to fetch.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
