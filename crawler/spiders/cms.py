"""Site families: what every site on one CMS shares (theme boilerplate, date markup).

Cleanup selectors remove what trafilatura would otherwise keep; they are harmless on
themes that do not use them, so the generic family (for `crawl --url`) applies them all.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawler.spiders.base import NewsSpider

WORDPRESS_CLEANUP = (
    # Digiqole news theme: ad slots ("Digiqole ad"), share bar ("Social sharing"),
    # Facebook comments, related posts, post navigation, author box.
    ".ts-ad-wrapper",
    ".digiqole-ads-widget",
    ".single-social-share",
    ".share-items",
    ".fb-comments-wrap",
    ".fb-comments",
    ".related-post",
    ".post-navigation",
    ".author-box",
    # Common WordPress share / related-post plugins.
    ".sharedaddy",
    ".jp-relatedposts",
    ".addtoany_share_save_container",
    ".heateor_sss_sharing_container",
    "#comments",
    ".comments-area",
)
# Theme texts that must never reach a body (checked by the uniform site test).
WORDPRESS_BOILERPLATE = ("Digiqole ad", "Social sharing", "Facebook Comments", "Related post", "Leave a Reply")
WORDPRESS_DATES = (".post-meta-date", ".meta-date", "time.entry-date", ".entry-date", ".post-date")
# Digiqole's category link, then WordPress core's (`the_category` writes rel="category tag",
# `the_tags` rel="tag"), inside the post: a tag cloud in the sidebar names other articles' tags.
WORDPRESS_CATEGORIES = ("article .post-cat", 'article a[rel~="category"]')
WORDPRESS_TAGS = ('article a[rel="tag"]',)
# WordPress core's post_class() marks the post's element `type-post` (a page is `type-page`).
WORDPRESS_POST = (".type-post",)
# `.hits`: Joomla's article info counts the page's visits ("Hits", Thai "เปิดอ่าน"); kept, every
# fetch of an article would differ and each re-crawl store a new version of it.
JOOMLA_CLEANUP = (".sharethis", ".pagenav", ".items-more", ".jcomments", ".addthis_toolbox", ".hits")
JOOMLA_DATES = (".published", ".create", "dd.published time")
# Joomla's article info (2.5 to 4: `dl.article-info`), in the post: "Details", the category, the
# dates, the author; its dates are read, then it leaves the text (10 corpus pages of other CMSs
# have an `.article-info`: none loses text, two read better).
JOOMLA_INFO = (".article-info",)
DRUPAL_CLEANUP = (".block-addtoany", ".links.inline", ".field--name-field-related", "#block-views-related")
DRUPAL_DATES = (".field--name-created", ".node__meta time", ".submitted")


class WordPressNewsSpider(NewsSpider):
    cms: ClassVar[str] = "wordpress"
    cleanup_selectors = WORDPRESS_CLEANUP
    date_selectors = WORDPRESS_DATES
    category_selectors = WORDPRESS_CATEGORIES
    tag_selectors = WORDPRESS_TAGS
    post_selectors = WORDPRESS_POST
    boilerplate = WORDPRESS_BOILERPLATE


class JoomlaNewsSpider(NewsSpider):
    cms: ClassVar[str] = "joomla"
    routes = ("sitemap", "feed", "listings")
    feed_urls = ("index.php?format=feed&type=rss",)
    cleanup_selectors = JOOMLA_CLEANUP
    info_selectors = JOOMLA_INFO
    date_selectors = JOOMLA_DATES


class DrupalNewsSpider(NewsSpider):
    cms: ClassVar[str] = "drupal"
    routes = ("sitemap", "feed", "listings")
    feed_urls = ("rss.xml",)
    cleanup_selectors = DRUPAL_CLEANUP
    date_selectors = DRUPAL_DATES


class AnyCmsNewsSpider(NewsSpider):
    """A site whose CMS is not known: every family's cleanup rules (harmless where unused)."""

    cms: ClassVar[str] = "generic"
    cleanup_selectors = WORDPRESS_CLEANUP + JOOMLA_CLEANUP + DRUPAL_CLEANUP
    info_selectors = JOOMLA_INFO
    date_selectors = WORDPRESS_DATES + JOOMLA_DATES + DRUPAL_DATES
    category_selectors = WORDPRESS_CATEGORIES
    tag_selectors = WORDPRESS_TAGS
    post_selectors = WORDPRESS_POST
    boilerplate = WORDPRESS_BOILERPLATE


class UrlNewsSpider(AnyCmsNewsSpider):
    """Any site, given at run time: `govarchive crawl --url BASE_URL`."""

    name = "url"

    def __init__(self, base_url: str = "", agency: str = "", **kwargs: Any) -> None:
        self.base_url = base_url
        self.agency = agency or (base_url.split("//")[-1].split("/")[0] if base_url else "")
        super().__init__(**kwargs)

    @property
    def site_id(self) -> str:
        return urlsplit(self.base_url).netloc
