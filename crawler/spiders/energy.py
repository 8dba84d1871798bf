"""Ministry of Energy (กระทรวงพลังงาน)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class EnergySpider(AnyCmsNewsSpider):
    name = "energy"
    agency = "กระทรวงพลังงาน"
    agency_en = "Ministry of Energy"
    base_url = "https://energy.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
