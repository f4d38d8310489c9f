"""The ledger proves itself: every kind of tampering is caught; erasure and purge are not."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from cookiegate.clock import utcnow
from tests.conftest import make_site, runtime
from tests.test_public_api import post


@pytest.fixture
def shop(app: Flask) -> int:
    """One lane, so every record has a known neighbour to tamper around."""
    return make_site(app, ledger_lanes=1)


@pytest.fixture
def busy_shop(app: Flask) -> int:
    """The default eight lanes, as production runs."""
    return make_site(app, "busy", ("busy.example",))


def fill(client: FlaskClient, count: int, site: str = "shop") -> list[dict[str, Any]]:
    actions = ["accept_all", "reject_all", "custom", "withdraw"]
    origin = {"Origin": "https://busy.example"} if site == "busy" else {}
    return [post(client, {"action": actions[i % 4], "choices": {"analytics": True}
                          if actions[i % 4] == "custom" else {},
                          "page": f"https://example.com/p{i}"}, origin, site=site).get_json()
            for i in range(count)]


def verify(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=["ledger", "verify", *args])


def sql(app: Flask, statement: str, **params: Any) -> None:
    with runtime(app).database.engine.begin() as conn:
        conn.execute(text(statement), params)


def a_middle_record(app: Flask) -> dict[str, Any]:
    """A refusal that has a successor in its lane, so its removal leaves a gap."""
    with runtime(app).database.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT r.* FROM consent_records r WHERE EXISTS (SELECT 1 FROM consent_records n "
            "WHERE n.site_id = r.site_id AND n.lane = r.lane AND n.seq = r.seq + 1) "
            "AND r.action = 'reject_all' ORDER BY r.id LIMIT 1")).mappings().one()
    return dict(row)


def test_intact_ledger_verifies(runner: FlaskCliRunner, client: FlaskClient, shop: int) -> None:
    fill(client, 30)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "Ledger intact: 30 records verified." in result.output
    assert verify(runner, "--site", "shop").exit_code == 0


@pytest.mark.parametrize(("column", "value"), [
    ("choices", '{"analytics":true,"marketing":true,"necessary":true,"preferences":true}'),
    ("action", "accept_all"),
    ("created_at", "2020-01-01 00:00:00"),
    ("config_version", 7),
    ("page_url", "https://example.com/elsewhere"),
    ("ip_truncated", "198.51.100.0/24"),
    ("gpc", True),
])
def test_modified_record_is_named(app: Flask, runner: FlaskCliRunner, client: FlaskClient,
                                  shop: int, column: str, value: Any) -> None:
    fill(client, 12)
    victim = a_middle_record(app)
    assert str(victim[column]) != str(value)
    sql(app, f"UPDATE consent_records SET {column} = :v WHERE id = :id", v=value, id=victim["id"])
    result = verify(runner)
    assert result.exit_code == 1
    assert f"consent {victim['consent_id']}" in result.output
    assert "[modified]" in result.output


def test_modified_record_with_recomputed_plain_hash_is_still_caught(
        app: Flask, runner: FlaskCliRunner, client: FlaskClient, shop: int) -> None:
    """Without the ledger key an attacker cannot produce a valid hash, even a SHA-256 one."""
    import hashlib

    fill(client, 6)
    victim = a_middle_record(app)
    fake = hashlib.sha256(b"anything").hexdigest()
    sql(app, "UPDATE consent_records SET action = 'accept_all', record_hash = :h WHERE id = :id",
        h=fake, id=victim["id"])
    result = verify(runner)
    assert result.exit_code == 1
    assert victim["consent_id"] in result.output


def test_deleted_record_is_named(app: Flask, runner: FlaskCliRunner, client: FlaskClient,
                                 shop: int) -> None:
    fill(client, 12)
    victim = a_middle_record(app)
    sql(app, "DELETE FROM consent_records WHERE id = :id", id=victim["id"])
    result = verify(runner)
    assert result.exit_code == 1
    assert "[deleted]" in result.output
    assert f"lane {victim['lane']} seq {victim['seq'] + 1}" in result.output
    assert f"seq {victim['seq']} missing" in result.output


def test_deleted_newest_record_is_caught_by_the_sealed_head(
        app: Flask, runner: FlaskCliRunner, client: FlaskClient, shop: int) -> None:
    receipts = fill(client, 5)
    newest = receipts[-1]["consent_id"]
    sql(app, "DELETE FROM consent_records WHERE consent_id = :c", c=newest)
    result = verify(runner)
    assert result.exit_code == 1
    assert "missing at the end of the chain" in result.output
    # rolling the head back too needs the key: the seal no longer matches
    sql(app, "UPDATE ledger_lanes SET seq = seq - 1 WHERE seq > 0 AND lane = "
             "(SELECT lane FROM ledger_lanes WHERE seq > 0 ORDER BY seq DESC LIMIT 1)")
    assert "the lane head was altered" in verify(runner).output


def test_inserted_record_is_named(app: Flask, runner: FlaskCliRunner, client: FlaskClient,
                                  shop: int) -> None:
    fill(client, 8)
    template = a_middle_record(app)
    forged_id = str(uuid.uuid4())
    columns = [c for c in template if c != "id"]
    forged = dict(template, consent_id=forged_id, seq=template["seq"] + 1000,
                  action="accept_all")
    sql(app, f"INSERT INTO consent_records ({', '.join(columns)}) VALUES "
             f"({', '.join(':' + c for c in columns)})", **{c: forged[c] for c in columns})
    result = verify(runner)
    assert result.exit_code == 1
    assert forged_id in result.output
    assert "[inserted]" in result.output or "[deleted]" in result.output


def test_record_spliced_into_the_middle_is_caught(app: Flask, runner: FlaskCliRunner,
                                                  client: FlaskClient, shop: int) -> None:
    """Renumber the rest of a lane to make room for a forged record: links and hashes break."""
    fill(client, 16)
    victim = a_middle_record(app)
    sql(app, "UPDATE consent_records SET seq = seq + 100000 WHERE site_id = :s AND lane = :l "
             "AND seq > :q", s=victim["site_id"], l=victim["lane"], q=victim["seq"])
    sql(app, "UPDATE consent_records SET seq = seq - 99999 WHERE site_id = :s AND lane = :l "
             "AND seq > 100000", s=victim["site_id"], l=victim["lane"])
    forged_id = str(uuid.uuid4())
    columns = [c for c in victim if c != "id"]
    forged = dict(victim, consent_id=forged_id, seq=victim["seq"] + 1)
    sql(app, f"INSERT INTO consent_records ({', '.join(columns)}) VALUES "
             f"({', '.join(':' + c for c in columns)})", **{c: forged[c] for c in columns})
    result = verify(runner)
    assert result.exit_code == 1
    assert forged_id in result.output


def test_erasure_removes_personal_fields_and_keeps_the_ledger_verified(
        app: Flask, runner: FlaskCliRunner, client: FlaskClient, shop: int) -> None:
    fill(client, 5)
    first = post(client, {"action": "accept_all", "page": "https://example.com/a"}).get_json()
    second = post(client, {"action": "withdraw", "token": first["token"],
                           "page": "https://example.com/b"}).get_json()
    result = runner.invoke(args=["consent", "erase", second["consent_id"]])
    assert result.exit_code == 0, result.output
    assert "Erased personal fields of 2 record(s)" in result.output
    rt = runtime(app)
    with rt.database.engine.connect() as conn:
        for consent_id in (first["consent_id"], second["consent_id"]):
            row = rt.ledger.find(conn, consent_id)
            assert row is not None
            assert row["page_url"] is None and row["ip_truncated"] is None
            assert row["ua_family"] is None and row["personal_salt"] is None
            assert row["erased_at"] is not None
            assert row["choices"]  # the proof itself stays
    verified = verify(runner)
    assert verified.exit_code == 0, verified.output
    shown = json.loads(runner.invoke(args=["consent", "show", first["consent_id"]]).output)
    assert [r["erased"] for r in shown["records"]] == [True, True]
    again = runner.invoke(args=["consent", "erase", first["consent_id"]])
    assert "already erased" in again.output
    # putting personal data back into an erased record is noticed
    sql(app, "UPDATE consent_records SET page_url = 'https://x.test/' WHERE consent_id = :c",
        c=first["consent_id"])
    assert "[erasure]" in verify(runner).output


def test_erase_unknown_id_fails_clearly(runner: FlaskCliRunner, shop: int) -> None:
    result = runner.invoke(args=["consent", "erase", str(uuid.uuid4())])
    assert result.exit_code == 1 and "no consent record" in result.output
    result = runner.invoke(args=["consent", "erase", "nonsense"])
    assert result.exit_code == 1 and "not a UUID" in result.output


def test_purge_removes_old_records_and_the_rest_still_verifies(
        app: Flask, runner: FlaskCliRunner, client: FlaskClient, busy_shop: int) -> None:
    receipts = fill(client, 40, "busy")
    old_ids = [r["consent_id"] for r in receipts[:25]]
    long_ago = utcnow() - timedelta(days=2000)
    rt = runtime(app)
    # Age the first 25 records (as if written five years ago) and re-seal them with the key,
    # the way they would have been written back then.
    with rt.database.engine.begin() as conn:
        conn.execute(text("UPDATE consent_records SET created_at = :t WHERE consent_id IN "
                          "(" + ",".join(f"'{c}'" for c in old_ids) + ")"), {"t": long_ago})
    _reseal(app)
    assert verify(runner).exit_code == 0
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "busy: would remove 25 record(s)" in dry.output
    with rt.database.engine.connect() as conn:
        assert rt.ledger.count(conn) == 40
    done = runner.invoke(args=["purge"])
    assert "busy: removed 25 record(s)" in done.output, done.output
    with rt.database.engine.connect() as conn:
        assert rt.ledger.count(conn) == 15
    result = verify(runner)
    assert result.exit_code == 0, result.output
    fill(client, 5, "busy")  # the chains go on from the new base
    assert "20 records verified" in verify(runner).output


def _reseal(app: Flask) -> None:
    """Recompute every chain with the ledger key (test set-up for back-dated records)."""
    from sqlalchemy import select

    from cookiegate.consent.ledger import lane_material, record_material, records

    rt = runtime(app)
    keys = rt.ledger.keys
    with rt.database.engine.begin() as conn:
        rows = conn.execute(select(records).order_by(records.c.site_id, records.c.lane,
                                                     records.c.seq)).mappings().all()
        heads: dict[tuple[int, int], str] = {}
        for row in rows:
            record = dict(row)
            record["prev_hash"] = heads.get((row["site_id"], row["lane"]), "0" * 64)
            record["record_hash"] = keys.sign(record["key_id"], record_material(record))
            conn.execute(text("UPDATE consent_records SET prev_hash = :p, record_hash = :h "
                              "WHERE id = :id"),
                         {"p": record["prev_hash"], "h": record["record_hash"], "id": row["id"]})
            heads[(row["site_id"], row["lane"])] = record["record_hash"]
        for head in conn.execute(text("SELECT * FROM ledger_lanes")).mappings().all():
            new = dict(head, head_hash=heads.get((head["site_id"], head["lane"]), "0" * 64))
            seal = keys.sign(new["key_id"], lane_material(new))
            conn.execute(text("UPDATE ledger_lanes SET head_hash = :h, seal = :s WHERE "
                              "site_id = :site AND lane = :lane"),
                         {"h": new["head_hash"], "s": seal, "site": head["site_id"],
                          "lane": head["lane"]})


def test_200_concurrent_posts_make_200_verified_records(
        app: Flask, runner: FlaskCliRunner, live_server: str, busy_shop: int) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(50)

    def visitor(i: int) -> None:
        body = json.dumps({"action": ["accept_all", "reject_all"][i % 2],
                           "consent_id": str(uuid.uuid4())}).encode()
        request = urllib.request.Request(f"{live_server}/cg/busy/consent", data=body, headers={
            "Content-Type": "application/json", "Origin": "https://busy.example"})
        try:
            if i < 50:
                barrier.wait(10)
            with urllib.request.urlopen(request, timeout=60) as response:
                results.append(response.status)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]
    assert results == [201] * 200
    rt = runtime(app)
    with rt.database.engine.connect() as conn:
        assert rt.ledger.count(conn) == 200
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "200 records verified" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgres_append_survives_a_dropped_connection(app: Flask, runner: FlaskCliRunner,
                                                       client: FlaskClient, shop: int) -> None:
    appender = runtime(app).ledger._postgres
    assert appender is not None
    first = post(client, {"action": "accept_all"})
    assert first.status_code == 201
    appender.local.connection.close()  # as when the server restarts or a proxy drops it
    second = post(client, {"action": "reject_all"})
    assert second.status_code == 201
    assert verify(runner).exit_code == 0
