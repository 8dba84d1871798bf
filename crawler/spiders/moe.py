"""Ministry of Education (กระทรวงศึกษาธิการ)."""

from crawler.spiders.cms import WordPressNewsSpider


class MoeSpider(WordPressNewsSpider):
    name = "moe"
    agency = "กระทรวงศึกษาธิการ"
    agency_en = "Ministry of Education"
    base_url = "https://www.moe.go.th/"
    language = "th"
    expected_interval_days = 2
    platform_notes = (
        "Believed to be WordPress (not checked). "
        "Unverified: no page of it could be fetched from this build machine (offline)."
    )
