"""Community Development Department (กรมการพัฒนาชุมชน), Ministry of Interior."""

from crawler.spiders.cms import WordPressNewsSpider


class CddSpider(WordPressNewsSpider):
    name = "cdd"
    agency = "กรมการพัฒนาชุมชน"
    agency_en = "Community Development Department"
    base_url = "https://www.cdd.go.th/"
    language = "th"
    timezone = "Asia/Bangkok"
    expected_interval_days = 3
    platform_notes = (
        "WordPress with the Digiqole news theme (from the seed article: 'Digiqole ad', 'Social sharing', "
        "'Facebook Comments', 'Related post'). The offline mirror (mirror/sites/cdd-mirror) imitates it and "
        "passes; the real site is unverified: no page of it could be fetched from this build machine."
    )
