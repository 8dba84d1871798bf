"""Session identifiers and tracking tags a site writes into its links are left out of the
address; parameters that name content stay, spelled as they were (crawler/visit_ids.py); a redirect that only
adds one is followed."""

import pytest
from scrapy.http import HtmlResponse, Request

from archive.history import KnownPage
from crawler import discovery
from crawler.incremental import Revisits
from crawler.middlewares import AccountableRedirect
from crawler.outcomes import url_key
from crawler.visit_ids import without_visit_ids
from tests.conftest import FILES
from tests.test_spiders import dropping_spider

BASE = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("/news/a/?PHPSESSID=h3k9d0q2m7vbn1c8x5z4l6j0fa", "/news/a/"),  # PHP's use_trans_sid
        ("/news/a/?id=5&phpsessid=abc&page=2", "/news/a/?id=5&page=2"),
        ("/page/2/;jsessionid=7F3A0C9B1D2E4F5A6B7C8D9E0F1A2B3C.node1", "/page/2/"),  # Java, before its cookie
        ("/view.jsp;jsessionid=7F3A0C9B?id=12", "/view.jsp?id=12"),
        ("/a.asp?ASPSESSIONIDQQGGGNCG=LKJHGFDSAQWERTYUIOPASDFG&n=1", "/a.asp?n=1"),  # classic ASP
        ("/a.cfm?CFID=1234&CFTOKEN=56789&n=1", "/a.cfm?n=1"),  # ColdFusion
        ("/(S(lit3py55t21z5v55vlm25s55))/news.aspx?id=7", "/news.aspx?id=7"),  # ASP.NET without cookies
        ("/app/(A(Xq1w)S(lit3py55t21z5v55vlm25s55)F(Zz9))/news.aspx", "/app/news.aspx"),
        ("/news/?sid=0123456789abcdef0123456789abcdef", "/news/"),  # a generic name holding PHP's id
        ("/news/?sessid=h3k9d0q2m7vbn1c8a5e4l6j0fa&p=2", "/news/?p=2"),  # its 26-character form
        ("/ข่าว/?q=%E0%B8%82%E0%B9%88&PHPSESSID=x#top", "/ข่าว/?q=%E0%B8%82%E0%B9%88#top"),
    ],
)
def test_a_session_identifier_is_left_out(written: str, address: str) -> None:
    assert without_visit_ids(BASE + written) == BASE + address


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("/news/a/?utm_source=facebook&utm_medium=social&utm_campaign=covid", "/news/a/"),  # a share bar's
        ("/news/?p=123&fbclid=IwAR2xQ9kLm3", "/news/?p=123"),  # followed from Facebook
        ("/news/?UTM_Source=line&id=7&gclid=Cj0KCQ&msclkid=abc", "/news/?id=7"),
        ("/news/a/?mc_cid=5f2a&mc_eid=9b1c", "/news/a/"),  # a Mailchimp newsletter's
        ("/news/a/?_gl=1*abc*_ga*MTIz", "/news/a/"),  # Google's cross-domain linker
    ],
)
def test_a_tracking_tag_is_left_out(written: str, address: str) -> None:
    assert without_visit_ids(BASE + written) == BASE + address


@pytest.mark.parametrize(
    "url",
    [
        "/news/?sid=12",  # a section, not a session
        "/news.php?sid=550e8400-e29b-41d4-a716-446655440000",  # a story's UUID
        "/news.php?sid=5f8d0d55b54764421b7156c9",  # a story's database id
        "/news/?sessionid=5",  # a conference session's page
        "/president-news/?session=3&b=&&c",  # names that hold "sid" or "sess", spelled as they were
        "/a?PHPSESSIONS=1",
        "/news/(2566)/budget/",  # a year in brackets, not a session
        "/news/?source=facebook&medium=print",  # names that only resemble tracking tags
        "/news_gallery/?mc=2&utm=1",
    ],
)
def test_parameters_that_name_content_stay_as_written(url: str) -> None:
    assert without_visit_ids(BASE + url) == BASE + url


def test_two_visits_with_different_sessions_are_one_page() -> None:
    first, second = (f"{BASE}/news/a/?id=5&PHPSESSID={token}" for token in ("a1b2c3", "z9y8x7"))
    assert url_key(first) == url_key(second) == url_key(f"{BASE}/news/a/?id=5")


def test_a_malformed_address_is_left_to_be_recorded_as_such() -> None:
    assert without_visit_ids("http://[::1/news/?PHPSESSID=x") == "http://[::1/news/?PHPSESSID=x"


def test_a_redirect_that_adds_a_session_is_followed_not_taken_for_a_loop() -> None:
    """A Java site may answer a first visit with a redirect to the page plus `;jsessionid=`."""
    spider = dropping_spider()
    spider.crawler.spider = spider
    redirects = AccountableRedirect.from_crawler(spider.crawler)
    request = Request(f"{BASE}/news/a/")
    with_session = f"{BASE}/news/a/;jsessionid=7F3A0C9B1D2E4F5A6B7C8D9E0F1A2B3C"
    answer = HtmlResponse(request.url, status=302, headers={"Location": with_session}, request=request)
    followed = redirects.process_response(request, answer)
    assert isinstance(followed, Request) and followed.url == with_session


def test_a_page_archived_before_is_known_under_any_session() -> None:
    """So an incremental crawl stops paging a listing whose links carry sessions."""
    address = f"{BASE}/news/a/"
    revisits = Revisits(known={address: KnownPage(address, "2026-12-01T00:00:00+00:00", None, None)})
    assert revisits.is_known(f"{address}?PHPSESSID=h3k9d0q2m7vbn1c8x5z4l6j0fa")
    assert not revisits.is_known(f"{BASE}/news/b/?PHPSESSID=h3k9d0q2m7vbn1c8x5z4l6j0fa")


def test_a_listing_names_its_posts_and_pages_without_their_sessions() -> None:
    body = (FILES / "plain" / "session-listing.html").read_bytes()
    response = HtmlResponse("http://127.0.0.1:8765/news/", body=body, encoding="utf-8")
    found = discovery.listing(response, dropping_spider().links, lambda url: True, 1000)
    assert found.content == [f"{BASE}/news/first-post/", f"{BASE}/news/second-post/"]
    assert found.next_pages == [f"{BASE}/news/page/2/"]
