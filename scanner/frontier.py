"""Which pages to visit: breadth-first, same site only, normalised, de-duplicated, and
guarded against crawl traps (endless calendars, session ids in URLs)."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scanner.parties import Parties

# Query parameters that name a session or a campaign, not a page.
VOLATILE_PARAMS = re.compile(
    r"^(jsessionid|phpsessid|sid|sessionid|session_id|aspsessionid\w*|utm_\w+|fbclid|gclid|"
    r"dclid|msclkid|mc_cid|mc_eid|_ga|_gl|ref|yclid)$", re.I)
SKIPPED_EXTENSIONS = re.compile(
    r"\.(pdf|zip|gz|tgz|rar|7z|exe|dmg|msi|jpg|jpeg|png|gif|webp|svg|ico|bmp|tiff?|mp3|mp4|"
    r"m4v|mov|avi|webm|ogg|wav|flac|woff2?|ttf|eot|otf|css|js|json|xml|rss|atom|csv|xlsx?|"
    r"docx?|pptx?|txt|apk)$", re.I)
# A page whose link leads to a page of the same shape, which links on to the next (an endless
# calendar: /calendar?month=N links to month=N+1) is a chain; chains stop after this many hops.
# Pages of one shape found side by side (products listed on one page) are not chained.
MAX_CHAIN = 2
MAX_QUERY_PARAMS = 6


def normalise(url: str) -> str | None:
    """The canonical form of a page URL, or None when it is not a web page worth visiting."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) \
        else f"{host}:{port}"
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.I) or "/"
    path = re.sub(r"/{2,}", "/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not VOLATILE_PARAMS.match(k)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def template(url: str) -> str:
    """The URL's shape: numbers and long tokens blanked, query values dropped."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "{n}", parts.path)
    path = re.sub(r"[0-9a-f]{16,}|[A-Za-z0-9_-]{32,}", "{id}", path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{parts.netloc}{path}?{'&'.join(keys)}"


@dataclass(frozen=True)
class PageTask:
    url: str
    depth: int


class Frontier:
    """The queue of pages to visit, bounded by page count and depth."""

    def __init__(self, parties: Parties, max_pages: int, max_depth: int | None) -> None:
        self.parties = parties
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.queue: deque[PageTask] = deque()
        self.seen: set[str] = set()
        self.chains: dict[str, int] = {}  # page -> hops through pages of its own shape
        self.accepted = 0
        self.skipped: Counter[str] = Counter()  # why links were not followed

    def add(self, url: str, depth: int, parent: str | None = None) -> bool:
        """Queue `url` (found on `parent`, at `depth` links from a start page) unless it is
        no page, off-site, seen, too deep, a crawl trap, or over the page budget."""
        normal = normalise(url)
        if normal is None:
            self.skipped["not a web page"] += 1
            return False
        if normal in self.seen:
            return False
        host = urlsplit(normal).hostname or ""
        if not self.parties.is_first_party(host):
            self.skipped["off-site"] += 1
            return False
        if SKIPPED_EXTENSIONS.search(urlsplit(normal).path):
            self.skipped["not HTML"] += 1
            return False
        if self.max_depth is not None and depth > self.max_depth:
            self.skipped["too deep"] += 1
            return False
        if len(parse_qsl(urlsplit(normal).query)) > MAX_QUERY_PARAMS:
            self.skipped["crawl trap"] += 1
            return False
        chain = 0
        if parent is not None and template(parent) == template(normal):
            chain = self.chains.get(parent, 0) + 1
        if chain > MAX_CHAIN:
            self.skipped["crawl trap"] += 1
            return False
        if self.accepted >= self.max_pages:
            self.skipped["page limit"] += 1
            return False
        self.seen.add(normal)
        self.chains[normal] = chain
        self.accepted += 1
        self.queue.append(PageTask(normal, depth))
        return True

    def pop(self) -> PageTask | None:
        return self.queue.popleft() if self.queue else None


def sitemap_urls(xml: str) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) from a sitemap or sitemap index, tolerant of junk."""
    locs = re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", xml, flags=re.I)
    if re.search(r"<sitemapindex", xml, flags=re.I):
        return [], [unescape_xml(u) for u in locs]
    return [unescape_xml(u) for u in locs], []


def robots_sitemaps(text: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.lower().startswith("sitemap:") and ":" in line]


def unescape_xml(text: str) -> str:
    return (text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&quot;", '"').replace("&apos;", "'"))
