"""Secretariat of the Prime Minister (Royal Thai Government) (สำนักเลขาธิการนายกรัฐมนตรี)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class ThaigovSpider(AnyCmsNewsSpider):
    name = "thaigov"
    agency = "สำนักเลขาธิการนายกรัฐมนตรี"
    agency_en = "Secretariat of the Prime Minister (Royal Thai Government)"
    base_url = "https://www.thaigov.go.th/"
    language = "th"
    expected_interval_days = 1
    article_url_pattern = r"/news/contents/details/\d+"
    platform_notes = (
        "Custom CMS; article URLs look like /news/contents/details/NNNNN (the thaigov corpus URLs). "
        "Unverified: no page of it could be fetched from this build machine (offline)."
    )
