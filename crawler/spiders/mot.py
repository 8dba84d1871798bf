"""Ministry of Transport (กระทรวงคมนาคม)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MotSpider(AnyCmsNewsSpider):
    name = "mot"
    agency = "กระทรวงคมนาคม"
    agency_en = "Ministry of Transport"
    base_url = "https://www.mot.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
