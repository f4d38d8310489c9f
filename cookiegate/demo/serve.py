"""`cookiegate demo`: the gateway plus a small marketing site on another origin that embeds it."""

from __future__ import annotations

import threading
import urllib.request

from flask import Flask, render_template
from werkzeug.serving import make_server

from cookiegate.demo.seed import DEMO_KEY, seed_demo
from cookiegate.runtime import Runtime


def marketing_site(gateway: str) -> Flask:
    """The demo shop: embeds the banner script and the cookie policy like a customer would."""
    site = Flask("cookiegate.demo", static_folder="../static/demo", static_url_path="/assets",
                 template_folder="../templates")

    @site.get("/")
    def home() -> str:
        return render_template("demo/index.html", gateway=gateway, site_key=DEMO_KEY)

    @site.get("/privacy")
    def privacy() -> str:
        # A CMS would include the policy snippet server-side, like this.
        with urllib.request.urlopen(f"{gateway}/cg/{DEMO_KEY}/policy?embed=1", timeout=5) as r:
            snippet = r.read().decode("utf-8")
        return render_template("demo/privacy.html", gateway=gateway, site_key=DEMO_KEY,
                               snippet=snippet)

    return site


def serve_demo(app: Flask, host: str, port: int) -> None:
    runtime: Runtime = app.extensions["cookiegate"]
    runtime.database.upgrade()
    with runtime.database.transaction() as session:
        publication = seed_demo(session, runtime.ledger, ["localhost", "127.0.0.1"])
    runtime.published.forget()
    gateway_url = f"http://{host}:{port}"
    shop_url = f"http://localhost:{port + 1}"
    gateway = make_server(host, port, app, threaded=True)
    shop = make_server(host, port + 1, marketing_site(gateway_url), threaded=True)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    print(f"CookieGate demo (site '{DEMO_KEY}', config version {publication.config.version})")
    print(f"  Demo shop:          {shop_url}/   (embeds the banner)")
    print(f"  Cookie policy:      {gateway_url}/cg/{DEMO_KEY}/policy")
    print(f"  Preferences, no JS: {gateway_url}/cg/{DEMO_KEY}/preferences?next={shop_url}/")
    print(f"  Banner config:      {gateway_url}/cg/{DEMO_KEY}/config.json")
    print(f"  Registry export:    {gateway_url}/cg/{DEMO_KEY}/registry.json")
    print(f"Scan the shop:  cookiegate-scan {shop_url}/ --registry "
          f"{gateway_url}/cg/{DEMO_KEY}/registry.json --html scan.html")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        gateway.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shop.shutdown()
