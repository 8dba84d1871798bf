"""Session identifiers and tracking tags written into addresses: one page, a new URL on every visit.

PHP with `session.use_trans_sid`, Java servlets before the session cookie is set
(`;jsessionid=`), ColdFusion (`CFID`, `CFTOKEN`), classic ASP and ASP.NET without cookies
(`/(S(...))/`) write the visitor's session into every link they serve. Each listing then names
every article under a new address, which is requested, and without a canonical link archived,
again: a 15-article site crawled so archived 133 copies before `--max-pages 500` stopped it, and
its listings never ran dry for the trap detector (every address is new). ASP.NET keeps one
session through a crawl, but the next run's is new: every page would be archived again.
Heritrix removes the same parameters before it compares addresses. Here they go before a page
is requested, keyed or stored: the page keeps one address, and the server serves it all the
same (the crawl keeps the session's cookie instead; ASP.NET redirects to a new session's
address, which is followed, and the page is stored without it).

Tracking tags are the same kind of noise: Google Analytics' `utm_*`, and the click identifiers
Facebook, Google, Microsoft and others append (`fbclid`, `gclid`, `msclkid`, ...) name the
visit, not the page. A share bar or a newsletter adds them to a site's own links, and a link
followed from Facebook carries a new `fbclid` every time: without a canonical link each is a
new article. They go the same way; any other parameter stays.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# Names that are a platform's session and nothing else: always removed, whatever the value.
PLATFORM_SESSION_KEYS = frozenset({"phpsessid", "jsessionid", "cfid", "cftoken"})
ASP_SESSION_KEY = re.compile(r"aspsessionid[a-z]{8}")
# Generic names (`sid` names a section or a story on many sites): removed only when the value
# has the form of PHP's session ids, 32 hex digits or 26 of 0-9a-v (its two default forms;
# phpBB's `sid` is the first): a story's UUID or a 24-digit database id stays.
GENERIC_SESSION_KEYS = frozenset({"sid", "sessid", "sessionid", "session_id"})
SESSION_TOKEN = re.compile(r"[0-9a-fA-F]{32}|[0-9a-v]{26}")
# In the path: Java's `;jsessionid=...`, and ASP.NET's cookieless `/(S(...))/` (with `A(...)`,
# `F(...)` beside it): the same session all through one crawl, but a new one in the next run,
# so every page would be archived again under a new address.
PATH_SESSION = re.compile(r";jsessionid=[^/?#]*|/\((?:[A-Z]\([^()/]*\))+\)(?=/)", re.IGNORECASE)
# Tracking tags: names no site uses for content (`utm_` starts Google Analytics' five and more).
TRACKING_PREFIX = "utm_"
TRACKING_KEYS = frozenset(
    {"fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "igshid"}
    | {"mc_cid", "mc_eid", "_ga", "_gl"}  # Mailchimp's campaign and recipient; Google's cross-domain linker
)
# An address holding none of these is left as it is.
MARKERS = ("sid", "sess", "cfid", "cftoken", "/(", TRACKING_PREFIX, *TRACKING_KEYS)


def without_visit_ids(url: str) -> str:
    """`url` without the session identifiers and tracking tags written into it; anything else,
    the order and spelling of the other parameters included, as it was."""
    lowered = url.lower()
    if not any(marker in lowered for marker in MARKERS):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed address is recorded as such (crawler/outcomes.unrequestable)
        return url
    path = PATH_SESSION.sub("", parts.path)
    pairs = parts.query.split("&")
    kept = [pair for pair in pairs if not _names_the_visit(*pair.partition("=")[::2])]
    if path == parts.path and len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(path=path, query="&".join(kept)))


def _names_the_visit(key: str, value: str) -> bool:
    name = unquote(key).lower()
    if name in PLATFORM_SESSION_KEYS or ASP_SESSION_KEY.fullmatch(name):
        return True
    if name.startswith(TRACKING_PREFIX) or name in TRACKING_KEYS:
        return True
    return name in GENERIC_SESSION_KEYS and SESSION_TOKEN.fullmatch(unquote(value)) is not None
