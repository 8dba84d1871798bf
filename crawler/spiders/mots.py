"""Ministry of Tourism and Sports (กระทรวงการท่องเที่ยวและกีฬา)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MotsSpider(AnyCmsNewsSpider):
    name = "mots"
    agency = "กระทรวงการท่องเที่ยวและกีฬา"
    agency_en = "Ministry of Tourism and Sports"
    base_url = "https://www.mots.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
