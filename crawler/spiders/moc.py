"""Ministry of Commerce (กระทรวงพาณิชย์)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class MocSpider(AnyCmsNewsSpider):
    name = "moc"
    agency = "กระทรวงพาณิชย์"
    agency_en = "Ministry of Commerce"
    base_url = "https://www.moc.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = "CMS not identified. Unverified: no page of it could be fetched from this build machine (offline)."
