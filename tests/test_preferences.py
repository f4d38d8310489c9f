"""The no-JavaScript preference page: a CSRF-protected form that records consent and returns
the visitor to a page of the site, never elsewhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import runtime


def csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1).decode()


def stored(app: Flask) -> list[dict[str, Any]]:
    rt = runtime(app)
    with rt.database.engine.connect() as conn:
        site_id = rt.published.get("shop").site_id
        return list(rt.ledger.records_between(conn, site_id, None, None))


def test_page_lists_categories_with_nothing_pre_ticked(client: FlaskClient, shop: int) -> None:
    page = client.get("/cg/shop/preferences?next=https://www.example.com/basket")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert re.search(r'id="cg-necessary"[^>]*checked[^>]*disabled', html, re.S)
    for key in ("preferences", "analytics", "marketing"):
        tag = re.search(rf'<input type="checkbox" id="cg-{key}"[^>]*>', html, re.S)
        assert tag and "checked" not in tag.group(0), key
    assert "Distinguishes visitors" in html  # the registry table
    assert 'value="https://www.example.com/basket"' in html


def test_saving_records_consent_and_redirects_back(app: Flask, client: FlaskClient,
                                                    shop: int) -> None:
    page = client.get("/cg/shop/preferences?lang=de")
    response = client.post("/cg/shop/preferences?lang=de", data={
        "csrf_token": csrf(page.data), "analytics": "on", "action": "custom",
        "next": "https://shop.example.com/cart"})
    assert response.status_code == 303
    assert response.headers["Location"] == "https://shop.example.com/cart"
    [record] = stored(app)
    assert record["source"] == "preferences" and record["action"] == "custom"
    assert record["language"] == "de"
    assert record["page_url"] == "https://shop.example.com/cart"
    assert '"analytics":true' in record["choices"] and '"marketing":false' in record["choices"]


def test_reject_all_without_next_shows_a_confirmation(app: Flask, client: FlaskClient,
                                                      shop: int) -> None:
    page = client.get("/cg/shop/preferences")
    response = client.post("/cg/shop/preferences", data={
        "csrf_token": csrf(page.data), "analytics": "on", "action": "reject_all"})
    assert response.status_code == 200 and b"Your choices were saved." in response.data
    [record] = stored(app)
    assert record["action"] == "reject_all" and '"analytics":false' in record["choices"]


@pytest.mark.parametrize("target", ["https://evil.example.net/", "javascript:alert(1)",
                                    "//evil.example.net/", "https://example.com.evil.net/"])
def test_next_outside_the_site_is_never_followed(app: Flask, client: FlaskClient, shop: int,
                                                 target: str) -> None:
    page = client.get("/cg/shop/preferences", query_string={"next": target})
    assert target.encode() not in page.data
    response = client.post("/cg/shop/preferences", data={
        "csrf_token": csrf(page.data), "action": "accept_all", "next": target})
    assert response.status_code == 200 and "Location" not in response.headers
    assert len(stored(app)) == 1


def test_missing_or_forged_csrf_token_is_refused_and_records_nothing(
        app: Flask, client: FlaskClient, shop: int) -> None:
    client.get("/cg/shop/preferences")
    for data in ({"action": "accept_all"}, {"action": "accept_all", "csrf_token": "forged"}):
        response = client.post("/cg/shop/preferences", data=data)
        assert response.status_code == 400
        assert b"This form expired or did not come from this page" in response.data
    assert stored(app) == []


def test_gateway_on_a_subdomain_sets_the_sites_cookie(app: Flask, client: FlaskClient,
                                                      shop: int) -> None:
    base = "https://consent.example.com"
    page = client.get("/cg/shop/preferences", base_url=base)
    response = client.post("/cg/shop/preferences", base_url=base, data={
        "csrf_token": csrf(page.data), "action": "accept_all"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("cg_consent=") and "Domain=example.com" in cookie
    assert "SameSite=Lax" in cookie and "Secure" in cookie
