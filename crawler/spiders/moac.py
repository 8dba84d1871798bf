"""Ministry of Agriculture and Cooperatives (กระทรวงเกษตรและสหกรณ์)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MoacSpider(AnyCmsNewsSpider):
    name = "moac"
    agency = "กระทรวงเกษตรและสหกรณ์"
    agency_en = "Ministry of Agriculture and Cooperatives"
    base_url = "https://www.moac.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
