"""Department of Provincial Administration (กรมการปกครอง)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class DopaSpider(AnyCmsNewsSpider):
    name = "dopa"
    agency = "กรมการปกครอง"
    agency_en = "Department of Provincial Administration"
    base_url = "https://www.dopa.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
