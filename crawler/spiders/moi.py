"""Ministry of Interior (กระทรวงมหาดไทย)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MoiSpider(AnyCmsNewsSpider):
    name = "moi"
    agency = "กระทรวงมหาดไทย"
    agency_en = "Ministry of Interior"
    base_url = "https://www.moi.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
