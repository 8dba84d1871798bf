"""Extraction on saved pages of the CDD-style mirror (WordPress, Digiqole theme)."""

import dataclasses
import json
import re

import pytest

from archive.text import normalize_text
from crawler.extract import ExtractionError, ExtractionRules, _block_chars, _focus, _paragraph_chars, _parse, extract
from crawler.spiders.base import NewsSpider
from crawler.spiders.cdd import CddSpider
from crawler.spiders.cms import WORDPRESS_POST, JoomlaNewsSpider, UrlNewsSpider
from tests.conftest import read_fixture, site_articles

URL = "https://www.cdd.go.th/news-017/"
RULES = CddSpider.rules()
SEED = read_fixture("cdd-mirror", "article-seed.html")
BOILERPLATE = [
    "Digiqole ad",
    "Social sharing",
    "Facebook Comments",
    "Related post",
    "Facebook",
    "Twitter",
    "Pinterest",
    "Previous post",
    "Next post",
    "ข่าวล่าสุด",  # sidebar
    "สายด่วน",  # sidebar widget
    "สงวนลิขสิทธิ์",  # footer
    "นโยบายเว็บไซต์",  # footer
    "views",
]


@pytest.fixture(scope="module")
def seed():
    return extract(SEED, URL, RULES)


def source(article_id: int) -> dict:
    return next(a for a in site_articles("cdd-mirror") if a["id"] == article_id)


@pytest.mark.parametrize("phrase", BOILERPLATE)
def test_seed_body_has_no_boilerplate(seed, phrase: str) -> None:
    assert phrase not in seed.body


def test_seed_body_is_exactly_the_four_paragraphs(seed) -> None:
    assert seed.body == "\n\n".join(source(117)["paragraphs"])
    assert len(seed.body.split("\n\n")) == 4


def test_related_post_titles_stay_out_of_the_body(seed) -> None:
    related = [a["title"] for a in site_articles("cdd-mirror") if a["id"] != 117]
    assert not [title for title in related if title in seed.body]


def test_seed_metadata(seed) -> None:
    assert seed.title == "พช.คว้า 3 รางวัลเลิศรัฐ การันตีคุณภาพการบริหารจัดการภาครัฐ"
    assert seed.published == "2023-08-30T14:05:00+07:00"
    assert seed.modified == "2023-08-31T09:12:00+07:00"
    assert seed.authors == ["กลุ่มประชาสัมพันธ์"]
    assert seed.language == "th"
    assert seed.categories == ["ข่าวกิจกรรม"]
    assert seed.tags == ["รางวัลเลิศรัฐ", "PMQA"]
    assert seed.image == "https://www.cdd.go.th/wp-content/uploads/2023/08/photo-117.jpg"
    assert seed.url == "https://www.cdd.go.th/news-017/"
    assert seed.extractor.startswith("trafilatura ")


def test_canonical_url_wins_over_the_fetched_url() -> None:
    page = extract(SEED, "https://www.cdd.go.th/?p=117", RULES)
    assert page.url == "https://www.cdd.go.th/news-017/"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("article-thai-digits-date-only.html", "2017-12-21T00:00:00+07:00"),  # ๒๑ ธันวาคม ๒๕๖๐
        ("article-abbreviated-date-only.html", "2017-05-02T00:00:00+07:00"),  # 2 พ.ค. 60
    ],
)
def test_visible_thai_date_is_used_when_no_meta_date(fixture: str, expected: str) -> None:
    page = extract(read_fixture("cdd-mirror", fixture), URL, RULES)
    assert page.published == expected
    assert page.modified is None


def test_visible_date_found_without_theme_selectors() -> None:
    page = extract(read_fixture("cdd-mirror", "article-thai-digits-date-only.html"), URL, ExtractionRules())
    assert page.published == "2017-12-21T00:00:00+07:00"


def test_english_post_on_a_thai_site_is_english() -> None:
    page = extract(read_fixture("cdd-mirror", "article-english.html"), URL, RULES)
    assert page.language == "en"
    assert page.title == "Healthy Eating Tips"
    assert page.published == "2024-02-06T10:15:00+07:00"


@pytest.mark.parametrize("rules", [RULES, ExtractionRules()], ids=["digiqole-rules", "no-rules"])
def test_article_with_empty_body_is_an_extraction_error(rules: ExtractionRules) -> None:
    with pytest.raises(ExtractionError, match="no main text"):
        extract(read_fixture("cdd-mirror", "article-empty-body.html"), URL, rules)


def test_invisible_characters_and_decomposed_text_are_normalised() -> None:
    assert normalize_text("เลิศ\u200bรัฐ\u00ad") == "เลิศรัฐ"
    assert normalize_text("e\u0301") == "\u00e9"


def test_extracted_fields_serialise_to_json(seed) -> None:
    assert json.loads(json.dumps(seed.as_dict(), ensure_ascii=False))["title"] == seed.title


def test_cleanup_rules_drop_blocks_by_class_id_or_any_css_and_keep_following_text() -> None:
    selectors = (".story-strip", "#promo", 'section[data-widget="poll"]', ".links.inline")
    body = extract(read_fixture("plain", "cleanup-rules.html"), "https://x.go.th/a", ExtractionRules(selectors)).body
    for removed in ("STRIP-TEXT", "PROMO-BOX-TEXT", "POLL-WIDGET-TEXT", "LINKS-INLINE-TEXT"):
        assert removed not in body
    assert "Text after the strip stays in the article" in body
    assert "within three working days" in body
    assert "A note with only one of the two classes stays" in body  # `.links.inline` needs both


WORDPRESS_TERMS = read_fixture("plain", "wordpress-terms.html")  # the variants below change one thing each


def test_site_family_markup_names_categories_and_tags_not_a_sidebar_tag_cloud() -> None:
    page = extract(WORDPRESS_TERMS, "https://x.go.th/a", RULES)
    assert page.categories == ["News", "Community"]
    assert page.tags == ["learning", "OTOP"]


def test_without_site_family_markup_trafilatura_heuristics_decide_and_take_the_tag_cloud() -> None:
    page = extract(WORDPRESS_TERMS, "https://x.go.th/a", ExtractionRules())
    assert page.categories == ["News", "Community"]  # its `.entry-meta` pattern
    assert page.tags == ["budget", "flood", "learning"]  # why the WordPress family names its own


def test_an_untagged_post_in_site_family_markup_has_no_tags_not_the_sidebars() -> None:
    untagged = re.sub(r'<span class="tags-links">.*?</span>', "", WORDPRESS_TERMS)
    page = extract(untagged, "https://x.go.th/a", RULES)
    assert page.categories == ["News", "Community"]
    assert page.tags == []


def test_a_page_whose_categories_the_family_does_not_find_gets_trafilaturas_search_for_them() -> None:
    page = extract(WORDPRESS_TERMS.replace(' rel="category tag"', ""), "https://x.go.th/a", RULES)
    assert page.categories == ["News", "Community"]  # trafilatura's `.entry-meta` pattern
    assert page.tags == ["learning", "OTOP"]  # still the family's rel="tag" links


def test_a_single_post_is_all_trafilatura_reads_of_the_page() -> None:
    page = _parse(SEED)
    _focus(page, WORDPRESS_POST)
    assert [element.root.tag for element in page.css("body > *")] == ["article"]
    text = page.css("body").xpath("string()").get("")
    assert "ข่าวล่าสุด" not in text  # the sidebar is gone
    assert source(117)["paragraphs"][0] in text


def test_a_post_element_without_the_text_is_not_taken_for_the_post() -> None:
    content = re.search(r'<div class="entry-content">.*?</div>\n', WORDPRESS_TERMS, re.S)
    assert content is not None
    text_after_post = WORDPRESS_TERMS.replace(content[0], "").replace("</article>\n", "</article>\n" + content[0])
    page = extract(text_after_post, "https://x.go.th/a", RULES)
    assert page.body.startswith("The provincial office opened two new community learning centres")


def test_a_listing_with_several_posts_is_left_whole() -> None:
    page = _parse(read_fixture("cdd-mirror", "listing-home.html"))
    before = len(page.css("body *"))
    _focus(page, WORDPRESS_POST)
    assert len(page.css("body *")) == before


SINGLE_POSTS = {
    "seed": SEED,
    "seed-title-only-in-theme-h1": re.sub(r'<meta property="og:title"[^>]*>', "", SEED),  # the <h1> is outside the post
    "english": read_fixture("cdd-mirror", "article-english.html"),
    "date-only-in-text": read_fixture("cdd-mirror", "article-abbreviated-date-only.html"),
    "wordpress-terms": WORDPRESS_TERMS,
}


@pytest.mark.parametrize("name", SINGLE_POSTS)
def test_reading_only_the_post_changes_no_field(name: str) -> None:
    whole_page = dataclasses.replace(RULES, post_selectors=())
    assert extract(SINGLE_POSTS[name], URL, RULES) == extract(SINGLE_POSTS[name], URL, whole_page)


def test_text_in_paragraphs_and_cells_is_counted_once_however_they_nest() -> None:
    page = _parse(
        "<html><body><p>ab<b>cd</b></p><table><tr><td>ef<p>gh</p></td><th>ij</th></tr></table>kl</body></html>"
    )
    assert (_paragraph_chars(page.root), _block_chars(page.root)) == (len("abcdgh"), len("abcdefghij"))


def test_a_page_closed_early_by_its_header_template_keeps_its_text() -> None:
    """`</body></html>` left by a theme's header, the post after it: libxml2 dropped the post, a
    browser shows it (a real blog post of ../shared/corpus lost all its text so)."""
    body = extract(read_fixture("plain", "closed-early-article.html"), URL, ExtractionRules()).body
    assert body.startswith("กรมการพัฒนาชุมชนจัดประชุมชี้แจงแนวทาง")
    assert "was dropped by libxml2" in body
    assert "หน้าแรก" not in body


def test_an_article_whose_json_ld_nests_past_what_python_parses_keeps_its_text_and_date() -> None:
    """Its JSON-LD is unreadable (2,000 levels: RecursionError), which costs that script, not the page."""
    html = read_fixture("plain", "deep-jsonld-article.html")
    extracted = extract(html, "http://127.0.0.1:8765/news-1/", ExtractionRules())
    assert extracted.title == "ประชุมเชิงปฏิบัติการเศรษฐกิจฐานราก"
    assert extracted.body.count("กรมการพัฒนาชุมชนจัดประชุม") == 4
    assert (extracted.published or "").startswith("2023-05-02")


def test_a_joomla_articles_hit_counter_is_no_part_of_its_text() -> None:
    """It changes on every visit: kept, each re-crawl would store a new version of the article."""
    html = read_fixture("plain", "joomla25-article.html")
    rules = JoomlaNewsSpider.rules()
    seen, again = (extract(page, "https://x.go.th/a", rules) for page in (html, html.replace("1234", "1240")))
    assert "1234" not in seen.body and seen.body == again.body
    assert "การทำขนมไทย" in seen.body


@pytest.mark.parametrize("spider", [JoomlaNewsSpider, UrlNewsSpider], ids=["joomla", "any site"])
def test_a_joomla_articles_info_block_gives_its_date_and_leaves_its_text(spider: type[NewsSpider]) -> None:
    """ "Details", the category and "Created on ..." were the first lines of every Joomla 2.5 body."""
    page = extract(read_fixture("plain", "joomla25-article.html"), "https://x.go.th/a", spider.rules())
    assert not any(line in page.body for line in ("รายละเอียด", "หมวด:", "สร้างเมื่อ"))
    assert page.body.count("จำนวน 40 คน") == 1  # the text itself, once
    assert (page.published or "").startswith("2023-03-12")


@pytest.mark.parametrize("spider", [JoomlaNewsSpider, UrlNewsSpider], ids=["joomla", "any site"])
def test_a_first_line_that_begins_the_pages_title_is_its_heading_and_the_title(spider: type[NewsSpider]) -> None:
    """Joomla 2.5 writes no og:title or <h1>; its <title> adds the office's name after a dash."""
    page = extract(read_fixture("plain", "joomla25-article.html"), "https://x.go.th/a", spider.rules())
    assert page.title == "อบรมอาชีพให้กลุ่มสตรีในชุมชน"  # the <title>: "... - สำนักงานพัฒนาชุมชนอำเภอ"
    assert page.body.startswith("สำนักงานพัฒนาชุมชนอำเภอจัดอบรม")


def test_a_publication_date_in_microdata_keeps_its_time_and_offset() -> None:
    page = extract(read_fixture("plain", "joomla4-article.html"), "https://x.go.th/a", JoomlaNewsSpider.rules())
    assert page.published == "2023-03-12T09:30:00+07:00"  # the visible date says only the day
