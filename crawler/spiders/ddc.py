"""Department of Disease Control (กรมควบคุมโรค)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class DdcSpider(AnyCmsNewsSpider):
    name = "ddc"
    agency = "กรมควบคุมโรค"
    agency_en = "Department of Disease Control"
    base_url = "https://ddc.moph.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
