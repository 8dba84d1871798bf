"""The `govarchive` command line. The archive's logic lives in archive/ (reading and writing
the SQLite file and WARC captures) and crawler/ (Scrapy); these modules parse what users
type, check it, and print the answers."""
