"""Ministry of Natural Resources and Environment (กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MnreSpider(AnyCmsNewsSpider):
    name = "mnre"
    agency = "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม"
    agency_en = "Ministry of Natural Resources and Environment"
    base_url = "https://www.mnre.go.th/"
    language = "th"
    expected_interval_days = 7
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
