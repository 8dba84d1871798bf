"""Office of the Public Sector Development Commission (สำนักงานคณะกรรมการพัฒนาระบบราชการ)."""

from crawler.spiders.cms import AnyCmsNewsSpider


class OpdcSpider(AnyCmsNewsSpider):
    name = "opdc"
    agency = "สำนักงานคณะกรรมการพัฒนาระบบราชการ"
    agency_en = "Office of the Public Sector Development Commission"
    base_url = "https://www.opdc.go.th/"
    language = "th"
    expected_interval_days = 14
    platform_notes = (
        "Runs the PMQA / เลิศรัฐ awards the seed article is about. CMS not identified. "
        "Unverified: no page of it could be fetched from this build machine (offline)."
    )
