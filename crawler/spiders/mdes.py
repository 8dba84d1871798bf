"""Ministry of Digital Economy and Society (กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MdesSpider(AnyCmsNewsSpider):
    name = "mdes"
    agency = "กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม"
    agency_en = "Ministry of Digital Economy and Society"
    base_url = "https://www.mdes.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
