"""Ministry of Public Health (กระทรวงสาธารณสุข)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MophSpider(AnyCmsNewsSpider):
    name = "moph"
    agency = "กระทรวงสาธารณสุข"
    agency_en = "Ministry of Public Health"
    base_url = "https://www.moph.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
