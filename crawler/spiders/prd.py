"""Government Public Relations Department (กรมประชาสัมพันธ์)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class PrdSpider(AnyCmsNewsSpider):
    name = "prd"
    agency = "กรมประชาสัมพันธ์"
    agency_en = "Government Public Relations Department"
    base_url = "https://www.prd.go.th/"
    language = "th"
    expected_interval_days = 1
    platform_notes = (
        "National news agency; publishes many items a day. Believed to run a custom CMS; routes unknown. "
        "Unverified: no page of it could be fetched from this build machine (offline)."
    )
