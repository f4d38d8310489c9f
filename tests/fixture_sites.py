"""Fixture websites for browser tests: a marketing site that embeds the banner and a video
host, served over HTTPS on loopback with a certificate made for the test run. Chromium maps
every `*.test` name to 127.0.0.1 (see conftest.CHROMIUM_ARGS)."""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import trustme
from flask import Flask, Response, request
from werkzeug.serving import make_server

TAGS = {
    # name -> what the tag does when it runs: note itself, then set its cookies
    "analytics": 'document.cookie = "_ga=GA1.2.42; path=/; max-age=86400";'
                 'document.cookie = "_ga_ABC123=GS1.1; path=/; max-age=86400; domain=shop.test";',
    "marketing": 'document.cookie = "_fbp=fb.1.99; path=/; max-age=86400; domain=shop.test";',
    "preferences": 'document.cookie = "ui_lang=en; path=/; max-age=86400";',
    "no-analytics": "",
}


@dataclass
class SiteLog:
    """What the fixture servers saw: tag downloads and embed loads."""

    fetched: Counter[str] = field(default_factory=Counter)


def marketing_site(gateway: str, log: SiteLog, html_lang: str = "en") -> Flask:
    site = Flask("fixture-shop")

    @site.get("/")
    @site.get("/other")
    def home() -> Response:
        page = f"""<!doctype html>
<html lang="{request.args.get('lang', html_lang)}"><head><meta charset="utf-8">
<title>Fixture shop</title>
<script src="{gateway}/cg/shop/banner.js" defer></script>
<script type="text/plain" data-cg-category="analytics" src="/tag/analytics.js"></script>
<script type="text/plain" data-cg-category="marketing" src="/tag/marketing.js"></script>
<script type="text/plain" data-cg-category="preferences" src="/tag/preferences.js"></script>
<script type="text/plain" data-cg-category="!analytics" src="/tag/no-analytics.js"></script>
</head><body><main><h1>Fixture shop</h1>
<p><a href="/other">Another page</a> <a href="#" data-cg-open>Cookie settings</a></p>
<iframe title="Product video" data-cg-category="marketing"
        data-cg-src="https://video.test:{request.host.rsplit(':', 1)[1]}/embed"></iframe>
<img data-cg-category="marketing" data-cg-src="/pixel.gif" alt="">
</main></body></html>"""
        response = Response(page, mimetype="text/html")
        gateway_origin = gateway
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {gateway_origin}; "
            f"style-src 'self' {gateway_origin}; connect-src 'self' {gateway_origin}; "
            f"frame-src https://video.test:* {gateway_origin}; img-src 'self' data:")
        response.headers["Set-Cookie"] = "PHPSESSID=abc123; Path=/; Secure; HttpOnly"
        return response

    @site.get("/tag/<name>.js")
    def tag(name: str) -> Response:
        log.fetched[name] += 1
        body = f"(window.__ran = window.__ran || []).push({name!r});" + TAGS.get(name, "")
        return Response(body, mimetype="text/javascript",
                        headers={"Cache-Control": "no-store"})

    @site.get("/pixel.gif")
    def pixel() -> Response:
        log.fetched["pixel"] += 1
        gif = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
               b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
        return Response(gif, mimetype="image/gif", headers={"Cache-Control": "no-store"})

    @site.get("/embed")
    def embed() -> Response:
        log.fetched["embed"] += 1
        return Response("<!doctype html><title>Video</title><p>Video player</p>",
                        mimetype="text/html",
                        headers={"Set-Cookie": "YSC=v1; Path=/; Secure; SameSite=None"})

    return site


@dataclass
class Served:
    url: str
    port: int


@contextmanager
def https_server(app: Any, context: ssl.SSLContext, host: str) -> Iterator[Served]:
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(url=f"https://{host}:{server.server_port}", port=server.server_port)
    finally:
        server.shutdown()
        thread.join(5)


def tls_context() -> ssl.SSLContext:
    ca = trustme.CA()
    cert = ca.issue_cert("*.test", "cg.test", "shop.test", "www.shop.test", "video.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context
