"""A page nested past libxml2's depth limit loses only the tags that made it so (crawler/markup.py)."""

from crawler.markup import CONTAINER_TAG, open_tags, unclosed_removed


def test_only_the_block_containers_a_page_never_closes_are_removed() -> None:
    """An end tag closes the latest of its name still open, as a browser's parser does."""
    page = b'<div id="page"><div class="share">S</div><section>T</section><div class="row">U<div/></body>'
    assert unclosed_removed(page) == b'<div class="share">S</div><section>T</section>U<div/></body>'


def test_tags_left_open_are_counted_by_kind() -> None:
    assert open_tags(b"<div><div></div><section><p>", CONTAINER_TAG) == 2
