"""Ministry of Social Development and Human Security (กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MsocietySpider(AnyCmsNewsSpider):
    name = "msociety"
    agency = "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"
    agency_en = "Ministry of Social Development and Human Security"
    base_url = "https://www.m-society.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
