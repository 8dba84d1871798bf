"""robots.txt is read up to RFC 9309's least parsing limit, in whole lines."""

from crawler.robots import robots_head

ROBOTS = b"User-agent: *\nDisallow: /private/\nSitemap: http://127.0.0.1/sitemap.xml\n"


def test_a_robots_txt_within_the_limit_is_read_whole() -> None:
    assert robots_head(ROBOTS, len(ROBOTS)) == (ROBOTS, False)


def test_a_longer_one_is_cut_after_the_last_whole_line_within_the_limit() -> None:
    head, cut = robots_head(ROBOTS, ROBOTS.index(b"Sitemap") + 5)
    assert cut and head == b"User-agent: *\nDisallow: /private/\n"
