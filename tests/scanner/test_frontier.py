"""The crawl frontier and header parsing: pure functions, no browser."""

from __future__ import annotations

from scanner.browser import parse_set_cookie
from scanner.frontier import Frontier, normalise, robots_sitemaps, sitemap_urls
from scanner.parties import Parties, registrable_domain


def test_normalise_drops_what_does_not_name_a_page() -> None:
    assert normalise("HTTPS://WWW.Shop.Example:443/a//b?utm_source=x&b=2&a=1#top") == (
        "https://www.shop.example/a/b?a=1&b=2")
    assert normalise("http://shop.example/cart;jsessionid=ABC123?sid=9") == (
        "http://shop.example/cart")
    assert normalise("http://shop.example:8080") == "http://shop.example:8080/"
    for junk in ("mailto:a@b.example", "javascript:void(0)", "tel:+123", "/relative", "http://"):
        assert normalise(junk) is None


def test_registrable_domains_and_parties() -> None:
    assert registrable_domain("www.shop.example.co.uk") == "example.co.uk"
    assert registrable_domain(".ads.doubleclick.net") == "doubleclick.net"
    assert registrable_domain("www.shop.test") == "shop.test"
    parties = Parties(["www.shop.example.com", "cdn.example-static.net"])
    assert parties.party("img.example.com") == "first"
    assert parties.party("assets.example-static.net") == "first"
    assert parties.party("example.com.evil.net") == "third"


def test_frontier_bounds_pages_depth_and_traps() -> None:
    frontier = Frontier(Parties(["shop.example"]), max_pages=30, max_depth=2)
    assert frontier.add("https://shop.example/", 0)
    assert not frontier.add("https://shop.example/#again", 0)  # the same page
    assert not frontier.add("https://other.example/", 1)  # off-site
    assert not frontier.add("https://shop.example/brochure.PDF", 1)  # not HTML
    assert not frontier.add("https://shop.example/deep", 3)  # past --max-depth
    # an endless calendar: each month's page links to the next; the chain stops after 2 hops
    months, parent = [], "https://shop.example/"
    for m in range(1, 9):
        url = f"https://shop.example/calendar?month={m}"
        months.append(frontier.add(url, 1, parent=parent))
        if months[-1]:  # only a queued page is visited, and so has links
            parent = url
    assert months == [True, True, True] + [False] * 5
    # the same shape side by side (products on a listing page) is not a trap
    listing = "https://shop.example/products"
    assert all(frontier.add(f"https://shop.example/products/{n}", 1, parent=listing)
               for n in range(1, 12))
    assert frontier.skipped["crawl trap"] == 5  # month 4, five times (from month 3)
    small = Frontier(Parties(["shop.example"]), max_pages=2, max_depth=None)
    assert [small.add(f"https://shop.example/p{n}x", 0) for n in "abc"] == [True, True, False]
    assert [t.url for t in small.queue] == ["https://shop.example/pax", "https://shop.example/pbx"]


def test_sitemaps_and_robots() -> None:
    pages, nested = sitemap_urls("""<urlset><url><loc> https://s.example/a?x=1&amp;y=2 </loc>
        </url><url><loc>https://s.example/b</loc></url></urlset>""")
    assert pages == ["https://s.example/a?x=1&y=2", "https://s.example/b"] and nested == []
    pages, nested = sitemap_urls("<sitemapindex><sitemap><loc>https://s.example/s1.xml</loc>"
                                 "</sitemap></sitemapindex>")
    assert pages == [] and nested == ["https://s.example/s1.xml"]
    assert sitemap_urls("not xml at all") == ([], [])
    assert robots_sitemaps("User-agent: *\nDisallow: /x\nSitemap: https://s.example/m.xml\n"
                           "sitemap:https://s.example/n.xml") == [
        "https://s.example/m.xml", "https://s.example/n.xml"]


def test_set_cookie_lines_as_the_browser_reads_them() -> None:
    now = 1_800_000_000.0
    ide = parse_set_cookie("IDE=x; Domain=.doubleclick.net; Path=/; Max-Age=34214400; Secure; "
                           "SameSite=none; HttpOnly", "https://ad.doubleclick.net/pixel", now)
    assert ide is not None
    assert (ide.name, ide.domain, ide.path, ide.max_age_days, ide.secure, ide.http_only,
            ide.same_site) == ("IDE", "doubleclick.net", "/", 396.0, True, True, "None")
    dated = parse_set_cookie("a=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT",
                             "https://www.shop.example/x", now)
    assert dated is not None and dated.domain == "www.shop.example" and dated.path == "/"
    assert dated.max_age_days is not None and dated.max_age_days > 20000
    session = parse_set_cookie("s=1", "https://shop.example/", now, blocked="SameSiteNoneInsecure")
    assert session is not None and session.max_age_days is None
    assert session.blocked == "SameSiteNoneInsecure"
    assert parse_set_cookie("=novalue", "https://shop.example/", now) is None
    assert parse_set_cookie("garbage", "https://shop.example/", now) is None
