"""Ministry of Finance (กระทรวงการคลัง)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MofSpider(AnyCmsNewsSpider):
    name = "mof"
    agency = "กระทรวงการคลัง"
    agency_en = "Ministry of Finance"
    base_url = "https://www.mof.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
