"""Recording choices: what the visitor gets back, what the ledger keeps, retries, GPC, access."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from cookiegate.consent.tokens import ConsentTokens
from tests.conftest import runtime
from tests.test_public_api import ORIGIN, error, post

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/130.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def stored(app: Flask, consent_id: str) -> dict[str, Any]:
    rt = runtime(app)
    with rt.database.engine.connect() as conn:
        row = rt.ledger.find(conn, consent_id)
    assert row is not None
    return row


def test_accept_all_returns_receipt_and_stores_every_field(app: Flask, client: FlaskClient,
                                                           shop: int) -> None:
    response = client.post(
        "/cg/shop/consent",
        json={"action": "accept_all", "lang": "de-DE",
              "page": "https://www.example.com/shoes?utm_source=x&email=a@b.c#top"},
        headers={**ORIGIN, "User-Agent": CHROME},
        environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert response.status_code == 201
    receipt = response.get_json()
    assert set(receipt) >= {"consent_id", "token", "choices", "version", "expires_at"}
    assert uuid.UUID(receipt["consent_id"]).version == 4
    assert receipt["choices"] == {"necessary": True, "preferences": True, "analytics": True,
                                  "marketing": True}
    assert receipt["version"] == 1
    row = stored(app, receipt["consent_id"])
    assert row["action"] == "accept_all" and row["source"] == "banner"
    assert json.loads(row["choices"]) == receipt["choices"]
    assert row["language"] == "de"
    assert row["page_url"] == "https://www.example.com/shoes"  # no query, no fragment
    assert row["ip_truncated"] == "203.0.113.0/24"
    assert (row["ua_family"], row["ua_os"], row["ua_device"]) == ("Chrome", "Windows", "desktop")
    assert row["config_version"] == 1 and len(row["config_sha256"]) == 64
    assert row["gpc"] is False or row["gpc"] == 0
    token = ConsentTokens(["test-secret-key"]).read(receipt["token"])
    assert token.consent_id == receipt["consent_id"] and token.choices["marketing"] is True


def test_config_hash_is_that_of_the_published_config(app: Flask, client: FlaskClient,
                                                     shop: int) -> None:
    sha = client.get("/cg/shop/config.json").get_json()["sha256"]
    receipt = post(client, {"action": "reject_all"}).get_json()
    assert stored(app, receipt["consent_id"])["config_sha256"] == sha


def test_ipv6_is_truncated_to_48_and_mobile_is_recognised(app: Flask, client: FlaskClient,
                                                          shop: int) -> None:
    response = client.post("/cg/shop/consent", json={"action": "reject_all"},
                           headers={**ORIGIN, "User-Agent": IPHONE},
                           environ_base={"REMOTE_ADDR": "2001:db8:abcd:12:34::1"})
    row = stored(app, response.get_json()["consent_id"])
    assert row["ip_truncated"] == "2001:db8:abcd::/48"
    assert row["ua_device"] == "mobile" and row["ua_os"] == "iOS"


def test_reject_custom_and_withdraw_store_explicit_falses(app: Flask, client: FlaskClient,
                                                          shop: int) -> None:
    rejected = post(client, {"action": "reject_all"}).get_json()
    assert rejected["choices"] == {"necessary": True, "preferences": False, "analytics": False,
                                   "marketing": False}
    custom = post(client, {"action": "custom", "choices": {"analytics": True}}).get_json()
    assert custom["choices"] == {"necessary": True, "preferences": False, "analytics": True,
                                 "marketing": False}
    withdrawn = post(client, {"action": "withdraw", "token": custom["token"]}).get_json()
    assert withdrawn["choices"]["analytics"] is False
    row = stored(app, withdrawn["consent_id"])
    assert row["source"] == "withdrawal"
    assert row["previous_consent_id"] == custom["consent_id"]


def test_refusal_lives_as_long_as_the_refusal_lifetime(app: Flask, client: FlaskClient) -> None:
    from tests.conftest import make_site

    make_site(app, "short", ("short.example",), accept_lifetime_days=300,
              refusal_lifetime_days=30)
    headers = {"Origin": "https://short.example"}
    accepted = post(client, {"action": "accept_all"}, headers, site="short").get_json()
    refused = post(client, {"action": "reject_all"}, headers, site="short").get_json()
    created = accepted["created_at"][:10]
    assert accepted["expires_at"][:10] > created
    from datetime import date

    def days(r: dict[str, str]) -> int:
        return (date.fromisoformat(r["expires_at"][:10]) - date.fromisoformat(
            r["created_at"][:10])).days
    assert days(accepted) == 300 and days(refused) == 30


def test_gpc_header_keeps_marketing_refused_on_accept_all(app: Flask, client: FlaskClient,
                                                           shop: int) -> None:
    receipt = post(client, {"action": "accept_all"}, {"Sec-GPC": "1"}).get_json()
    assert receipt["choices"] == {"necessary": True, "preferences": True, "analytics": True,
                                  "marketing": False}
    assert receipt["gpc"] is True
    assert bool(stored(app, receipt["consent_id"])["gpc"]) is True
    # the category's own switch still grants it
    custom = post(client, {"action": "custom", "gpc": True,
                           "choices": {"marketing": True}}).get_json()
    assert custom["choices"]["marketing"] is True and custom["gpc"] is True


def test_retry_with_same_consent_id_is_idempotent(app: Flask, client: FlaskClient,
                                                  shop: int) -> None:
    consent_id = str(uuid.uuid4())
    body = {"consent_id": consent_id, "action": "custom", "choices": {"analytics": True}}
    first = post(client, body)
    second = post(client, body)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.get_json()["consent_id"] == second.get_json()["consent_id"] == consent_id
    assert first.get_json()["created_at"] == second.get_json()["created_at"]
    rt = runtime(app)
    with rt.database.engine.connect() as conn:
        assert rt.ledger.count(conn) == 1


def test_reusing_a_consent_id_for_a_different_choice_is_a_conflict(
        app: Flask, client: FlaskClient, shop: int) -> None:
    consent_id = str(uuid.uuid4())
    assert post(client, {"consent_id": consent_id, "action": "accept_all"}).status_code == 201
    response = post(client, {"consent_id": consent_id, "action": "reject_all"})
    assert response.status_code == 409
    assert error(response)["code"] == "consent_id_conflict"
    assert stored(app, consent_id)["action"] == "accept_all"


def test_history_needs_the_token_and_shows_the_whole_chain(client: FlaskClient,
                                                           shop: int) -> None:
    first = post(client, {"action": "accept_all"}).get_json()
    second = post(client, {"action": "custom", "choices": {"analytics": True},
                           "token": first["token"]}).get_json()
    third = post(client, {"action": "withdraw", "token": second["token"]}).get_json()
    stranger = post(client, {"action": "accept_all"}).get_json()

    missing = client.get(f"/cg/shop/consent/{first['consent_id']}")
    assert missing.status_code == 401 and error(missing)["code"] == "token_required"
    forged = client.get(f"/cg/shop/consent/{first['consent_id']}?token=abc.def.ghi")
    assert forged.status_code == 401 and error(forged)["code"] == "invalid_token"
    foreign = client.get(f"/cg/shop/consent/{first['consent_id']}",
                         headers={"Authorization": f"Bearer {stranger['token']}"})
    assert foreign.status_code == 404

    for token in (first["token"], third["token"]):  # any token of the chain proves it
        response = client.get(f"/cg/shop/consent/{second['consent_id']}",
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        records = response.get_json()["records"]
        assert [r["consent_id"] for r in records] == [first["consent_id"], second["consent_id"],
                                                      third["consent_id"]]
        assert [r["action"] for r in records] == ["accept_all", "custom", "withdraw"]
        assert records[2]["previous_consent_id"] == second["consent_id"]
    download = client.get(f"/cg/shop/consent/{first['consent_id']}?token={first['token']}"
                          "&download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    bad_id = client.get("/cg/shop/consent/not-a-uuid", headers={
        "Authorization": f"Bearer {first['token']}"})
    assert bad_id.status_code == 400 and error(bad_id)["code"] == "invalid_consent_id"


def test_token_for_another_site_does_not_link_or_open_history(app: Flask,
                                                              client: FlaskClient) -> None:
    from tests.conftest import make_site

    make_site(app, "shop", ("example.com",))
    make_site(app, "blog", ("blog.example",))
    shop_receipt = post(client, {"action": "accept_all"}).get_json()
    blog_receipt = post(client, {"action": "accept_all", "token": shop_receipt["token"]},
                        {"Origin": "https://blog.example"}, site="blog").get_json()
    assert blog_receipt["previous_consent_id"] is None
    response = client.get(f"/cg/blog/consent/{shop_receipt['consent_id']}",
                          headers={"Authorization": f"Bearer {shop_receipt['token']}"})
    assert response.status_code == 404


def test_tokens_survive_key_rotation() -> None:
    old = ConsentTokens(["old-key"])
    token = old.issue(str(uuid.uuid4()), "shop", {"analytics": True}, 3)
    rotated = ConsentTokens(["new-key", "old-key"])
    assert rotated.read(token).version == 3
    new_token = rotated.issue(str(uuid.uuid4()), "shop", {}, 1)
    assert ConsentTokens(["new-key"]).read(new_token).site == "shop"
    import pytest

    from cookiegate.consent.tokens import InvalidToken
    with pytest.raises(InvalidToken):
        ConsentTokens(["new-key"]).read(token)


def test_choice_against_an_older_published_version_keeps_that_versions_hash(
        app: Flask, client: FlaskClient, runner: Any, shop: int, tmp_path: Any) -> None:
    v1 = client.get("/cg/shop/config.json").get_json()
    csv = tmp_path / "more.csv"
    csv.write_text("name,category,provider,purpose,retention\n"
                   "_fbp,marketing,Meta,Ad delivery,3 months\n")
    result = runner.invoke(args=["registry", "import", "shop", str(csv), "--publish"])
    assert result.exit_code == 0, result.output
    v2 = client.get("/cg/shop/config.json").get_json()
    assert v2["version"] == 2 and v2["sha256"] != v1["sha256"]
    old = post(client, {"action": "accept_all", "version": 1}).get_json()
    new = post(client, {"action": "accept_all"}).get_json()
    assert stored(app, old["consent_id"])["config_sha256"] == v1["sha256"]
    assert stored(app, new["consent_id"])["config_sha256"] == v2["sha256"]


def test_ip_truncation_edge_cases() -> None:
    from cookiegate.consent.visitor import truncate_ip

    assert truncate_ip("192.168.10.254") == "192.168.10.0/24"
    assert truncate_ip("::ffff:10.1.2.3") == "10.1.2.0/24"
    assert truncate_ip("2001:db8::1") == "2001:db8::/48"
    assert truncate_ip("fe80::1%eth0") == "fe80::/48"
    for bad in ("", None, "999.1.1.1", "1.2.3", "01.2.3.4", "not an ip", "1.2.3.4.5"):
        assert truncate_ip(bad) is None, bad


def test_token_older_than_the_lifetime_is_refused(monkeypatch: Any) -> None:
    import time

    import pytest

    from cookiegate.consent.tokens import InvalidToken

    tokens = ConsentTokens(["k"])
    issued_at = time.time() - 40 * 86400
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: issued_at)
    token = tokens.issue(str(uuid.uuid4()), "shop", {"analytics": False}, 1)
    monkeypatch.undo()
    assert tokens.read(token, max_age_days=60).choices == {"analytics": False}
    with pytest.raises(InvalidToken) as refused:
        tokens.read(token, max_age_days=30)
    assert refused.value.expired is True
    assert tokens.read(token).site == "shop"  # still proves the history without a max age


def verify(client: FlaskClient, token: Any, site: str = "shop") -> Any:
    return client.post(f"/cg/{site}/consent/verify", data=json.dumps({"token": token}),
                       headers={"Content-Type": "text/plain", **ORIGIN})


def test_verify_accepts_a_fresh_token_and_names_what_is_wrong_otherwise(
        app: Flask, client: FlaskClient, shop: int, monkeypatch: Any) -> None:
    receipt = post(client, {"action": "reject_all"}).get_json()
    fine = verify(client, receipt["token"])
    assert fine.status_code == 200 and fine.headers["Access-Control-Allow-Origin"] == (
        ORIGIN["Origin"])
    body = fine.get_json()
    assert body["valid"] is True and body["reprompt"] is False
    assert body["consent_id"] == receipt["consent_id"] and body["choices"]["analytics"] is False

    payload, rest = receipt["token"].split(".", 1)
    assert verify(client, f"{payload[:-2]}xx.{rest}").get_json() == {"valid": False,
                                                                     "reason": "invalid"}
    other = ConsentTokens(["test-secret-key"]).issue(str(uuid.uuid4()), "elsewhere",
                                                     {"necessary": True}, 1)
    assert verify(client, other).get_json() == {"valid": False, "reason": "other_site"}

    import time

    long_ago = time.time() - 200 * 86400  # past the default six-month refusal lifetime
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: long_ago)
    old = runtime(app).tokens.issue(str(uuid.uuid4()), "shop", receipt["choices"], 1)
    monkeypatch.undo()
    assert verify(client, old).get_json() == {"valid": False, "reason": "expired"}

    assert error(verify(client, None))["code"] == "invalid_token"
    foreign = client.post("/cg/shop/consent/verify", data=json.dumps({"token": "x"}),
                          headers={"Origin": "https://evil.example.net"})
    assert foreign.status_code == 403


def test_verify_asks_again_after_a_material_change(app: Flask, client: FlaskClient,
                                                   shop: int) -> None:
    from cookiegate.registry.operations import import_entries
    from cookiegate.registry.transfer import validate_entry
    from cookiegate.sites.operations import get_site, publish_site

    receipt = post(client, {"action": "accept_all"}).get_json()
    with runtime(app).database.transaction() as session:
        site = get_site(session, "shop")
        import_entries(session, site.id, [validate_entry(
            {"name": "_hjid", "category": "analytics", "provider": "Hotjar",
             "purpose": "Replays sessions", "retention": "1 year"},
            [c.key for c in site.categories], site.domains)])
        publish_site(session, site)
    assert verify(client, receipt["token"]).get_json()["reprompt"] is True
