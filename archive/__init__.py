"""The SQLite archive: schema, writing, search, statistics. No Scrapy in here."""
