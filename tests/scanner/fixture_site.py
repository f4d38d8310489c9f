"""A marketing site for scanner tests, with the cookie behaviours a real one has, served over
HTTPS on one loopback port for several *.test hosts (Chromium maps them to 127.0.0.1):

- www.shop.test   the site: a consent banner, tags that respect it and tags that do not
- ads.test        an ad network: a cross-site iframe that sets IDE
- pixel.test      a tracking pixel whose response sets cookies (one refused: no Secure)
- connect.tracker.test  a third-party script that writes _fbp onto the site's own domain
- elsewhere.test  where /out redirects (off-site)
"""

from __future__ import annotations

import time

from flask import Flask, Response, redirect, request

PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
         b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

BANNER_JS = """
(function () {
  function consent() { var m = document.cookie.match(/(?:^|; )fixture_consent=(yes|no)/);
                       return m ? m[1] : null; }
  function tags(choice) {
    if (choice === "yes") {  // analytics, only after acceptance
      document.cookie = "_ga=GA1.2.1; path=/; max-age=63072000";
      document.cookie = "_ga_ABC123=GS1.1; path=/; max-age=63072000";
    }
    if (choice) {  // a tag that ignores a refusal: runs once any choice is made
      document.cookie = "_clck=1abc; path=/; max-age=31536000";
    }
  }
  function choose(value) {
    document.cookie = "fixture_consent=" + value + "; path=/; max-age=15552000";
    document.getElementById("fixture-banner").hidden = true;
    tags(value);
  }
  var choice = consent();
  if (choice) { document.getElementById("fixture-banner").hidden = true; tags(choice); }
  document.getElementById("yes").addEventListener("click", function () { choose("yes"); });
  document.getElementById("no").addEventListener("click", function () { choose("no"); });
  localStorage.setItem("ls_key", "1");
  sessionStorage.setItem("ss_key", "1");
  indexedDB.open("fixture_db", 1);
  setTimeout(function () { document.cookie = "late_cookie=1; path=/; max-age=600"; }, 800);
})();
"""


def page(body: str, title: str = "Fixture shop") -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body>{body}</body></html>"""


def scanner_site(port_of: callable | None = None) -> Flask:  # type: ignore[valid-type]
    app = Flask("scanner-fixture")

    def origin(host: str) -> str:
        return f"https://{host}:{request.host.rsplit(':', 1)[1]}"

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def dispatch(path: str) -> Response:
        host = request.host.rsplit(":", 1)[0]
        handler = {"www.shop.test": shop, "ads.test": ads, "pixel.test": pixel,
                   "connect.tracker.test": tracker, "elsewhere.test": elsewhere}.get(host)
        if handler is None:
            return Response("unknown host", 404)
        return handler("/" + path)

    def shop(path: str) -> Response:
        links = ('<a href="/about">About</a> <a href="/calendar?month=1">Calendar</a> '
                 '<a href="/slow">Slow</a> <a href="/out">Partner</a> '
                 '<a href="/brochure.pdf">Brochure</a> '
                 '<a href="/about?sessionid=123">About (session)</a>')
        if path == "/":
            body = f"""<div id="fixture-banner"><p>We use cookies.</p>
<button id="yes">Accept all</button> <button id="no">Reject all</button></div>
<h1>Fixture shop</h1><p>{links}</p>
<iframe src="{origin('ads.test')}/frame" title="ad"></iframe>
<img src="{origin('pixel.test')}/p.gif?e=view" alt="">
<script src="{origin('connect.tracker.test')}/fbevents.js"></script>
<script src="/banner.js"></script>"""
            response = Response(page(body), mimetype="text/html")
            response.headers.add("Set-Cookie", "PHPSESSID=s1; Path=/; Secure; HttpOnly")
            response.headers.add("Set-Cookie", "cart_id=c1; Path=/; Max-Age=31536000; Secure")
            return response
        if path == "/banner.js":
            return Response(BANNER_JS, mimetype="text/javascript")
        if path == "/about":
            return Response(page(f"<h1>About</h1><p>{links}</p><script src='/banner-lite.js'>"
                                 "</script>"), mimetype="text/html")
        if path == "/banner-lite.js":
            return Response("", mimetype="text/javascript")
        if path == "/calendar":  # an endless calendar: every month links to the next
            month = int(request.args.get("month", "1"))
            return Response(page(f'<a href="/calendar?month={month + 1}">next month</a>'),
                            mimetype="text/html")
        if path == "/slow":
            time.sleep(30)
            return Response(page("finally"), mimetype="text/html")
        if path == "/out":
            return redirect(f"{origin('elsewhere.test')}/landing", 302)
        if path == "/hidden":  # only the sitemap names it
            response = Response(page("<h1>Hidden offers</h1>"), mimetype="text/html")
            response.headers.add("Set-Cookie", "hidden_pref=1; Path=/; Max-Age=3600; Secure")
            return response
        if path == "/robots.txt":
            return Response(f"User-agent: *\nSitemap: {origin('www.shop.test')}/sitemap.xml\n",
                            mimetype="text/plain")
        if path == "/sitemap.xml":
            base = origin("www.shop.test")
            return Response(f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/</loc></url><url><loc>{base}/hidden</loc></url></urlset>""",
                            mimetype="application/xml")
        if path == "/brochure.pdf":
            return Response(b"%PDF-1.4", mimetype="application/pdf")
        return Response(page("not found"), status=404, mimetype="text/html")

    def ads(path: str) -> Response:
        response = Response(page("<p>Advertisement</p>", "ad"), mimetype="text/html")
        response.headers.add("Set-Cookie",
                             "IDE=ad1; Path=/; Max-Age=34214400; Secure; SameSite=None")
        return response

    def pixel(path: str) -> Response:
        response = Response(PIXEL, mimetype="image/gif")
        response.headers.add("Set-Cookie", "px_ad=1; Path=/; Max-Age=86400; Secure; SameSite=None")
        # SameSite=None without Secure: the browser refuses it
        response.headers.add("Set-Cookie", "uid=u1; Path=/; Max-Age=86400; SameSite=None")
        return response

    def tracker(path: str) -> Response:
        return Response('document.cookie = "_fbp=fb.1.123; path=/; max-age=7776000";',
                        mimetype="text/javascript")

    def elsewhere(path: str) -> Response:
        response = Response(page("<h1>Another site</h1>"), mimetype="text/html")
        response.headers.add("Set-Cookie", "partner=1; Path=/; Max-Age=3600; Secure")
        return response

    return app


REGISTRY = {
    "schema_version": 1, "site": "shop", "domains": ["shop.test"],
    "categories": [{"key": "necessary", "necessary": True},
                   {"key": "preferences", "necessary": False},
                   {"key": "analytics", "necessary": False},
                   {"key": "marketing", "necessary": False}],
    "entries": [
        {"name": "PHPSESSID", "match": "exact", "domain": None, "party": "first",
         "kind": "cookie", "provider": "Shop", "purpose": "Session", "category": "necessary",
         "retention_days": None, "session": True},
        {"name": "fixture_consent", "match": "exact", "domain": None, "party": "first",
         "kind": "cookie", "provider": "Shop", "purpose": "Consent", "category": "necessary",
         "retention_days": 182},
        {"name": "cart_id", "match": "exact", "domain": None, "party": "first",
         "kind": "cookie", "provider": "Shop", "purpose": "Basket", "category": "necessary",
         "retention_days": 1},
        {"name": "_ga", "match": "exact", "domain": None, "party": "first", "kind": "cookie",
         "provider": "Google Analytics", "purpose": "Visitors", "category": "analytics",
         "retention_days": 730},
        {"name": "_ga_", "match": "prefix", "domain": None, "party": "first", "kind": "cookie",
         "provider": "Google Analytics", "purpose": "Session state", "category": "analytics",
         "retention_days": 730},
        # filed under preferences here; the known-cookie database says analytics
        {"name": "_clck", "match": "exact", "domain": None, "party": "first", "kind": "cookie",
         "provider": "Microsoft Clarity", "purpose": "Usage", "category": "preferences",
         "retention_days": 365},
        {"name": "IDE", "match": "exact", "domain": "ads.test", "party": "third",
         "kind": "cookie", "provider": "Ad network", "purpose": "Ads", "category": "marketing",
         "retention_days": 396},
        {"name": "ls_key", "match": "exact", "domain": None, "party": "first",
         "kind": "localStorage", "provider": "Shop", "purpose": "UI state",
         "category": "preferences", "retention_days": None},
        {"name": "old_cookie", "match": "exact", "domain": None, "party": "first",
         "kind": "cookie", "provider": "Shop", "purpose": "Retired feature",
         "category": "preferences", "retention_days": 30},
    ],
}
