"""`govarchive new-site`: write a site module and a test that fails until it is filled in."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

CMS_BASES = {
    "wordpress": "WordPressNewsSpider",
    "joomla": "JoomlaNewsSpider",
    "drupal": "DrupalNewsSpider",
    "generic": "AnyCmsNewsSpider",
}
PLACEHOLDER = "TODO"

MODULE = '''"""{placeholder}: agency name in English ({site_id})."""

from crawler.spiders.cms import {base_class}


class {class_name}({base_class}):
    name = "{site_id}"
    agency = "{placeholder}"  # the agency's Thai name
    agency_en = "{placeholder}"  # and its English name
    base_url = "{base_url}"
    language = "th"
    timezone = "Asia/Bangkok"
    expected_interval_days = 7  # how often it publishes; `govarchive check` alerts after this
    platform_notes = "{placeholder}: CMS and theme seen, discovery routes that work"
    # routes = ("sitemap", "feed", "api", "listings")  # narrow if some are missing
    # article_url_pattern = r"/news/\\d+"  # only if pages carry no article markup
    # cleanup_selectors = (*{base_class}.cleanup_selectors, ".site-specific-share-bar")
'''

TEST = '''"""{site_id}: what the uniform test (tests/test_sites.py) cannot know about this site."""

from crawler.spiders.{site_id} import {class_name}
from crawler.recording import has_recording
from tests.conftest import FILES


def test_{site_id}_declaration_is_filled_in() -> None:
    spider = {class_name}
    assert "{placeholder}" not in (spider.agency + spider.agency_en + spider.platform_notes), "fill in the site module"


def test_{site_id}_has_recorded_fixtures() -> None:
    assert has_recording(FILES / "{site_id}"), "run: govarchive record {site_id}"
'''


class ScaffoldError(ValueError):
    pass


def class_name(site_id: str) -> str:
    return "".join(part.capitalize() for part in site_id.split("_")) + "Spider"


def new_site(root: Path, site_id: str, base_url: str, cms: str = "wordpress") -> list[Path]:
    """Write crawler/spiders/<id>.py and tests/test_site_<id>.py under `root`; refuse to overwrite."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", site_id) or keyword.iskeyword(site_id):
        raise ScaffoldError(f"site id {site_id!r}: use lower-case letters, digits and _ (e.g. moi, dopa_news)")
    if not base_url.startswith(("http://", "https://")):
        raise ScaffoldError(f"base URL {base_url!r} must start with http:// or https://")
    if cms not in CMS_BASES:
        raise ScaffoldError(f"unknown CMS family {cms!r}; choose from {', '.join(CMS_BASES)}")
    module = root / "crawler" / "spiders" / f"{site_id}.py"
    test = root / "tests" / f"test_site_{site_id}.py"
    for path in (module, test):
        if path.exists():
            raise ScaffoldError(f"{path} exists already")
    values = {
        "site_id": site_id,
        "class_name": class_name(site_id),
        "base_url": base_url if base_url.endswith("/") else base_url + "/",
        "base_class": CMS_BASES[cms],
        "placeholder": PLACEHOLDER,
    }
    module.write_text(MODULE.format(**values), encoding="utf-8")
    test.write_text(TEST.format(**values), encoding="utf-8")
    (root / "tests" / "files" / site_id).mkdir(parents=True, exist_ok=True)
    return [module, test]
