"""The public API as an embedding site and a visitor's browser meet it."""

from __future__ import annotations

import gzip
import json
from typing import Any

import brotli
import pytest
from flask.testing import FlaskClient

ORIGIN = {"Origin": "https://www.example.com"}


def post(client: FlaskClient, body: Any, headers: dict[str, str] | None = None,
         site: str = "shop", raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    return client.post(f"/cg/{site}/consent", data=data,
                       headers={"Content-Type": "application/json", **ORIGIN, **(headers or {})})


def error(response: Any) -> dict[str, str]:
    payload = response.get_json()
    assert set(payload) == {"error"}, payload
    return payload["error"]


def test_config_json_lists_categories_texts_and_registry_summary(client: FlaskClient,
                                                                  shop: int) -> None:
    response = client.get("/cg/shop/config.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    config = response.get_json()
    assert config["site"] == "shop" and config["version"] == 1 and len(config["sha256"]) == 64
    assert [c["key"] for c in config["categories"]] == ["necessary", "preferences", "analytics",
                                                        "marketing"]
    by_key = {c["key"]: c for c in config["categories"]}
    assert by_key["necessary"]["necessary"] is True
    assert by_key["analytics"]["consent_mode"] == ["analytics_storage"]
    assert by_key["marketing"]["consent_mode"] == ["ad_storage", "ad_user_data",
                                                   "ad_personalization"]
    assert by_key["preferences"]["consent_mode"] == ["functionality_storage",
                                                     "personalization_storage"]
    assert config["consent_mode"]["always_granted"] == ["security_storage"]
    names = [(e["name"], e["retention"]) for e in by_key["analytics"]["entries"]]
    assert names == [("_ga", "2 years"), ("_ga_", "2 years")]
    assert by_key["marketing"]["entries"][0]["party"] == "third"
    assert config["texts"]["title"]
    assert config["gpc"] is False


def test_config_language_from_query_then_accept_language(client: FlaskClient, shop: int) -> None:
    assert client.get("/cg/shop/config.json?lang=de").get_json()["lang"] == "de"
    assert client.get("/cg/shop/config.json?lang=de-AT").get_json()["lang"] == "de"
    # the banner speaks every EU language and Welsh even where the site wrote only en and de
    french = client.get("/cg/shop/config.json?lang=fr").get_json()
    assert french["lang"] == "fr" and french["texts"]["reject_all"] == "Tout refuser"
    assert client.get("/cg/shop/config.json?lang=ja").get_json()["lang"] == "en"
    accept = {"Accept-Language": "ja-JP, de;q=0.8, en;q=0.5"}
    assert client.get("/cg/shop/config.json", headers=accept).get_json()["lang"] == "de"
    accept = {"Accept-Language": "cy-GB, en;q=0.5"}
    welsh = client.get("/cg/shop/config.json", headers=accept).get_json()
    assert welsh["lang"] == "cy"
    assert welsh["texts"]["title"] == "Eich dewisiadau preifatrwydd"
    assert [c["name"] for c in welsh["categories"]][2] == "Dadansoddi"


def test_config_reports_gpc_header(client: FlaskClient, shop: int) -> None:
    response = client.get("/cg/shop/config.json", headers={"Sec-GPC": "1"})
    assert response.get_json()["gpc"] is True
    assert "Sec-GPC" in response.headers["Vary"]


def test_banner_js_is_cacheable_compressed_and_revalidates(client: FlaskClient, shop: int) -> None:
    plain = client.get("/cg/shop/banner.js")
    assert plain.status_code == 200
    assert plain.mimetype == "text/javascript"
    assert "max-age" in plain.headers["Cache-Control"]
    assert b'"site":"shop"' in plain.data
    etag = plain.headers["ETag"]
    again = client.get("/cg/shop/banner.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    gz = client.get("/cg/shop/banner.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.data) == plain.data
    br = client.get("/cg/shop/banner.js", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == plain.data
    assert br.headers["ETag"] != etag  # each encoding has its own entity tag


def test_registry_json_follows_the_export_schema(client: FlaskClient, shop: int) -> None:
    document = client.get("/cg/shop/registry.json").get_json()
    assert document["schema_version"] == 1
    assert document["site"] == "shop" and document["domains"] == ["example.com"]
    assert {"key": "necessary", "necessary": True} in document["categories"]
    ide = next(e for e in document["entries"] if e["name"] == "IDE")
    assert ide["domain"] == "doubleclick.net" and ide["party"] == "third"
    assert ide["retention_days"] == pytest.approx(395.4167)
    prefix = next(e for e in document["entries"] if e["name"] == "_ga_")
    assert prefix["match"] == "prefix" and prefix["domain"] is None


def test_policy_html_and_json(client: FlaskClient, shop: int) -> None:
    html = client.get("/cg/shop/policy").get_data(as_text=True)
    assert "<table" in html and "Google DoubleClick" in html and "13 months" in html
    assert "<code>_ga_*</code>" in html and "Third party" in html
    snippet = client.get("/cg/shop/policy?embed=1").get_data(as_text=True)
    assert snippet.lstrip().startswith('<section class="cg-policy"')
    document = client.get("/cg/shop/policy?format=json").get_json()
    analytics = next(c for c in document["categories"] if c["key"] == "analytics")
    assert [e["name"] for e in analytics["entries"]] == ["_ga", "_ga_"]


@pytest.mark.parametrize("path", ["banner.js", "config.json", "policy", "registry.json"])
def test_unknown_site_is_a_json_404(client: FlaskClient, shop: int, path: str) -> None:
    response = client.get(f"/cg/nope/{path}")
    assert response.status_code == 404
    assert error(response)["code"] == "site_not_found"


def test_unknown_site_consent_is_404(client: FlaskClient, shop: int) -> None:
    response = post(client, {"action": "accept_all"}, site="nope")
    assert response.status_code == 404 and error(response)["code"] == "site_not_found"


def test_unpublished_site_says_so(client: FlaskClient, app: Any, runner: Any) -> None:
    result = runner.invoke(args=["sites", "create", "draft", "--name", "Draft", "--domain",
                                 "draft.example", "--no-publish"])
    assert result.exit_code == 0, result.output
    response = client.get("/cg/draft/config.json")
    assert response.status_code == 404
    assert "cookiegate publish draft" in error(response)["message"]


def test_unknown_path_and_wrong_method_are_json(client: FlaskClient, shop: int) -> None:
    assert error(client.get("/cg/shop/nothing-here"))["code"] == "not_found"
    response = client.delete("/cg/shop/consent")
    assert response.status_code == 405 and error(response)["code"] == "method_not_allowed"


BAD_INPUTS = [
    ('{"action": "accept_all"', 400, "malformed_json", "not valid JSON"),
    ("", 400, "invalid_body", "empty"),
    ("[1, 2]", 400, "invalid_body", "JSON object"),
    ('"accept"', 400, "invalid_body", "JSON object"),
    ("{}", 400, "invalid_action", "action must be one of"),
    ('{"action": "maybe"}', 400, "invalid_action", "accept_all"),
    ('{"action": "custom", "choices": {"tracking": true}}', 400, "unknown_category",
     "unknown category tracking"),
    ('{"action": "custom", "choices": {"necessary": false}}', 400, "necessary_refused",
     "necessary and cannot be refused"),
    ('{"action": "accept_all", "choices": {"necessary": false}}', 400, "necessary_refused",
     "cannot be refused"),
    ('{"action": "custom", "choices": {"analytics": "yes"}}', 400, "invalid_choices",
     "choices.analytics must be true or false"),
    ('{"action": "custom", "choices": {"analytics": 1}}', 400, "invalid_choices",
     "must be true or false"),
    ('{"action": "custom", "choices": ["analytics"]}', 400, "invalid_choices",
     "choices must be an object"),
    ('{"action": "custom"}', 400, "invalid_choices", "needs choices"),
    ('{"action": "accept_all", "consent_id": "abc"}', 400, "invalid_consent_id", "not a UUID"),
    ('{"action": "accept_all", "consent_id": 42}', 400, "invalid_consent_id", "UUID string"),
    ('{"action": "accept_all", "consent_id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}', 400,
     "invalid_consent_id", "version 4"),
    ('{"action": "accept_all", "lang": 5}', 400, "invalid_lang", "language tag"),
    ('{"action": "accept_all", "lang": "<script>"}', 400, "invalid_lang", "language tag"),
    ('{"action": "accept_all", "page": "javascript:alert(1)"}', 400, "invalid_page",
     "http or https"),
    ('{"action": "accept_all", "page": 12}', 400, "invalid_page", "as text"),
    ('{"action": "accept_all", "gpc": "1"}', 400, "invalid_gpc", "true or false"),
    ('{"action": "accept_all", "version": "1"}', 400, "invalid_version", "positive"),
    ('{"action": "accept_all", "version": 99}', 400, "invalid_version", "never published"),
    ('{"action": "accept_all", "token": 7}', 400, "invalid_token", "token string"),
    ('{"action": "accept_all", "source": "robot"}', 400, "invalid_source", "source must be"),
    ('{"action": "accept_all", "extra": 1}', 400, "unknown_field", "unknown field(s): extra"),
]


@pytest.mark.parametrize(("body", "status", "code", "message"), BAD_INPUTS)
def test_bad_consent_input_gets_a_clear_error_and_records_nothing(
        client: FlaskClient, app: Any, shop: int, body: str, status: int, code: str,
        message: str) -> None:
    from tests.conftest import runtime

    response = post(client, body, raw=True)
    assert response.status_code == status
    assert error(response)["code"] == code
    assert message in error(response)["message"]
    with runtime(app).database.engine.connect() as conn:
        assert runtime(app).ledger.count(conn) == 0


def test_wrong_content_type_is_refused(client: FlaskClient, shop: int) -> None:
    response = client.post("/cg/shop/consent", data="action=accept_all",
                           headers={"Content-Type": "application/x-www-form-urlencoded", **ORIGIN})
    assert response.status_code == 400
    assert error(response)["code"] == "unsupported_media_type"


def test_text_plain_json_is_accepted_to_spare_a_preflight(client: FlaskClient, shop: int) -> None:
    response = client.post("/cg/shop/consent", data='{"action": "reject_all"}',
                           headers={"Content-Type": "text/plain", **ORIGIN})
    assert response.status_code == 201


def test_oversized_body_is_413(client: FlaskClient, shop: int) -> None:
    body = json.dumps({"action": "accept_all", "page": "https://example.com/" + "a" * 20000})
    response = post(client, body, raw=True)
    assert response.status_code == 413
    assert error(response)["code"] == "body_too_large"


def test_cors_allows_only_the_sites_domains(client: FlaskClient, shop: int) -> None:
    ok = post(client, {"action": "reject_all"}, headers={"Origin": "https://shop.example.com:8443"})
    assert ok.status_code == 201
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.com:8443"
    assert "Origin" in ok.headers["Vary"]
    for origin in ("https://evil.test", "https://example.com.evil.test", "https://notexample.com",
                   "null"):
        refused = post(client, {"action": "reject_all"}, headers={"Origin": origin})
        assert refused.status_code == 403, origin
        assert error(refused)["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in refused.headers


def test_preflight(client: FlaskClient, shop: int) -> None:
    response = client.options("/cg/shop/consent", headers={
        "Origin": "https://example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    refused = client.options("/cg/shop/consent", headers={"Origin": "https://evil.test"})
    assert refused.status_code == 403


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_history_is_readable_cross_origin_from_the_sites_domains(client: FlaskClient,
                                                                 shop: int) -> None:
    receipt = post(client, {"action": "accept_all"}).get_json()
    path = f"/cg/shop/consent/{receipt['consent_id']}"
    preflight = client.options(path, headers={"Origin": "https://www.example.com",
                                              "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    history = client.get(path, headers={"Origin": "https://www.example.com",
                                        "Authorization": f"Bearer {receipt['token']}"})
    assert history.status_code == 200
    assert history.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    foreign = client.get(path, headers={"Origin": "https://evil.test",
                                        "Authorization": f"Bearer {receipt['token']}"})
    assert foreign.status_code == 403
