"""What banner.js and banner.css serve: size budget, CSP-safe source, themes, languages."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from cookiegate.banner.strings import UI_LANGUAGES, catalog
from cookiegate.demo.seed import seed_demo
from tests.conftest import make_site, runtime

SOURCE = Path(__file__).parents[1] / "cookiegate" / "static" / "banner" / "banner.js"
BUDGET = 7 * 1024  # bytes of gzip for script and stylesheet together


def _demo(app: Flask) -> None:
    rt = runtime(app)
    with rt.database.transaction() as session:
        seed_demo(session, rt.ledger, ["localhost"])


def test_script_and_stylesheet_fit_the_size_budget_as_served(app: Flask,
                                                             client: FlaskClient) -> None:
    _demo(app)
    sizes = {}
    for path in ("/cg/demo/banner.js", "/cg/demo/banner.css"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        sizes[path] = len(response.data)
        assert gzip.decompress(response.data)  # really gzip
    assert sum(sizes.values()) <= BUDGET, sizes
    brotli = client.get("/cg/demo/banner.js", headers={"Accept-Encoding": "br, gzip"})
    assert brotli.headers["Content-Encoding"] == "br"


def test_served_script_is_minified_with_the_config_inlined(app: Flask,
                                                           client: FlaskClient) -> None:
    _demo(app)
    script = client.get("/cg/demo/banner.js?lang=fr").data.decode()
    assert "/*" not in script and "\n  " not in script
    config = json.loads(script[script.rindex("})(") + 3:-2])
    assert config["lang"] == "fr" and config["texts"]["accept_all"] == catalog()["fr"]["accept_all"]
    assert config["site"] == "demo" and {c["key"] for c in config["categories"]} == {
        "necessary", "preferences", "analytics", "marketing"}
    analytics = next(c for c in config["categories"] if c["key"] == "analytics")
    assert {"name": "_ga_", "match": "prefix"} in analytics["entries"]


def test_source_has_nothing_a_strict_csp_forbids() -> None:
    source = SOURCE.read_text()
    for forbidden in ("eval(", "new Function", "innerHTML", ".style.", "setAttribute(\"style",
                      "onclick=", "document.write"):
        assert forbidden not in source, forbidden
    assert not re.search(r"setTimeout\(\s*[\"']", source)  # no string timers


def test_config_cannot_break_out_of_the_script(app: Flask, client: FlaskClient) -> None:
    make_site(app, "evil", ("evil.example",), [
        {"name": "x</script><script>alert(1)</script>", "category": "analytics",
         "provider": "p", "purpose": "p", "retention": "1 day"}])
    script = client.get("/cg/evil/banner.js").data.decode()
    assert "</script>" not in script


def test_every_language_has_every_string() -> None:
    strings = catalog()
    assert sorted(strings) == sorted(UI_LANGUAGES) and len(strings) == 25
    keys = set(strings["en"])
    for lang, texts in strings.items():
        assert set(texts) == keys, lang
        assert set(texts["categories"]) == set(strings["en"]["categories"]), lang
        assert "{category}" in texts["embed_blocked"] and "{category}" in texts["embed_always"]


def test_theme_sets_custom_properties_and_refuses_injection(app: Flask,
                                                            client: FlaskClient) -> None:
    make_site(app, "themed", ("themed.example",), theme={
        "accent": "#0b6e4f", "radius": "2", "font": "Georgia, serif", "position": "box",
        "scheme": "dark", "background": "red;}body{display:none"})
    css = client.get("/cg/themed/banner.css").data.decode()
    assert "--cg-accent:#0b6e4f" in css and "--cg-radius:2px" in css
    assert "--cg-font:Georgia, serif" in css
    assert "red;}" not in css and "body{display:none" not in css
    config = client.get("/cg/themed/config.json").get_json()
    assert config["theme"] == {"position": "box", "scheme": "dark"}
