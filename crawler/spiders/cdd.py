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
