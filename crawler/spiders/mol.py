"""Ministry of Labour (กระทรวงแรงงาน)."""

from crawler.spiders.cms import WordPressNewsSpider


class MolSpider(WordPressNewsSpider):
    name = "mol"
    agency = "กระทรวงแรงงาน"
    agency_en = "Ministry of Labour"
    base_url = "https://www.mol.go.th/"
    language = "th"
    expected_interval_days = 3
    platform_notes = (
        "Believed to be WordPress (not checked). "
        "Unverified: no page of it could be fetched from this build machine (offline)."
    )
