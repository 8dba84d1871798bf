"""What each item a crawl yields does to the archive: the one place an item becomes rows.

Called on whichever thread or process writes (archive/group_commit.py's commit thread, the
writer process, `govarchive ingest`), so it imports neither Scrapy nor the extraction code:
the archive writer's process starts without them (a fifth of a second of CPU).
"""

from __future__ import annotations

from archive.store import ArchiveWriter
from crawler.items import Article, Attachment, AttachmentFailed, AttachmentUnchanged, NotArchived, NotModified
from crawler.kinds import SAME_PAGE, UNREADABLE, bound_counter

AttachmentResult = Attachment | AttachmentUnchanged | AttachmentFailed
Written = Article | NotModified | NotArchived | AttachmentResult  # what the archive takes
WITHDRAWN = "govarchive/versions_withdrawn"  # taken as an update, then given back (refuse_same_page)


def write_item(writer: ArchiveWriter, item: Written) -> list[str]:
    """Write one item (on the one thread or process that writes); returns the stats counters
    it adds to: what became of it, and for a failure its kind and the bound it hit."""
    if isinstance(item, AttachmentResult):
        return write_attachment_item(writer, item)
    if isinstance(item, NotArchived):
        removed = writer.record_failure(item.url, item.reason, item.site, item.http_status, item.kind, item.crawl_run)
        bound = [bound_counter(item.bound)] if item.bound else []
        return ["govarchive/removed" if removed else "govarchive/failures", f"govarchive/failed/{item.kind}", *bound]
    if isinstance(item, NotModified):
        writer.not_modified(item.url, item.fetched_at, item.crawl_run)
        return ["govarchive/articles_unchanged"]
    record = item.record()
    record["url"] = url = writer.article_of(record)
    holder = writer.taken_text(record)
    if holder is not None:
        return refuse_same_page(writer, item, holder)
    change = writer.write_article(record)
    if item.attachments or change != "new":  # a new article without files has no links to replace
        writer.link_attachments(url, item.attachments)
    return [f"govarchive/articles_{change}"]


def write_attachment_item(writer: ArchiveWriter, item: AttachmentResult) -> list[str]:
    """An attachment's failures go to `failures` too, but never count towards the run's own
    (crawl_runs.attachments counts them): the article is archived without the file."""
    if isinstance(item, AttachmentUnchanged):
        writer.attachment_not_modified(item.url, item.fetched_at, item.crawl_run)
        return []
    if isinstance(item, AttachmentFailed):
        writer.record_failure(item.url, item.reason, item.site, item.http_status, item.kind, item.crawl_run)
        return ["govarchive/attachments/failed", *([bound_counter(item.bound)] if item.bound else [])]
    writer.write_attachment(item.record())
    if item.text_method != UNREADABLE:
        return []
    reason = f"attachment unreadable: {item.text_note}"
    writer.record_failure(item.url, reason, item.site, item.http_status, UNREADABLE, item.crawl_run)
    return ["govarchive/attachments/failed"]


def refuse_same_page(writer: ArchiveWriter, item: Article, holder: str) -> list[str]:
    """`item`, an archived article's page, answers with the title and text `holder` holds: a page
    the site serves at many addresses. Neither keeps it: `holder` gives back a version it took in
    this run (the first address to answer with it had nothing to compare it with)."""
    refused, withdrawn = [(item.source_url, holder)], []
    if writer.withdraw_version(holder, item.crawl_run):
        refused.append((holder, item.source_url))
        withdrawn.append(WITHDRAWN)  # counted updated when it took the page: no longer
    for address, other in refused:
        reason = (
            f"answered with the same title and text as {other}: a page the site serves at many addresses "
            "(maintenance, blocked, not found); the archived version is kept"
        )
        writer.record_failure(address, reason, item.site, item.http_status, SAME_PAGE, item.crawl_run)
    return ["govarchive/failures", f"govarchive/failed/{SAME_PAGE}"] * len(refused) + withdrawn
