"""The `cookiegate` command as an operator uses it."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import runtime
from tests.test_public_api import post


def run(runner: FlaskCliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_init_db_is_repeatable(runner: FlaskCliRunner) -> None:
    assert "Database ready" in run(runner, "init-db")
    assert "Database ready" in run(runner, "init-db")


def test_create_site_then_list(runner: FlaskCliRunner, client: FlaskClient) -> None:
    out = run(runner, "sites", "create", "acme", "--name", "Acme", "--domain", "acme.example",
              "--domain", "https://ACME.test/", "--language", "en", "--language", "fr")
    assert "Created site acme" in out and "published version 1" in out
    assert "acme\tAcme\tacme.example,acme.test\tv1" in run(runner, "sites", "list")
    languages = client.get("/cg/acme/config.json").get_json()["languages"]
    assert languages[:2] == ["en", "fr"] and "cy" in languages  # the site's own come first
    run(runner, "sites", "create", "brief", "--name", "Brief", "--domain", "brief.example",
        "--accept-days", "395", "--refusal-days", "30")
    lifetimes = client.get("/cg/brief/config.json").get_json()["lifetimes"]
    assert lifetimes == {"accept_days": 395, "refusal_days": 30}


@pytest.mark.parametrize(("args", "message"), [
    (["Bad Key", "--name", "X", "--domain", "x.example"], "lower-case letters"),
    (["ok", "--name", "X", "--domain", "not a host"], "bare host name"),
    (["ok", "--name", "X", "--domain", "x.example:8080"], "bare host name"),
    (["ok", "--name", " ", "--domain", "x.example"], "needs a name"),
    (["ok", "--name", "X", "--domain", "x.example", "--language", "english!"], "language tag"),
    (["ok", "--name", "X", "--domain", "x.example", "--accept-days", "400"], "13 months"),
    (["ok", "--name", "X", "--domain", "x.example", "--refusal-days", "0"], "between 1 and 395"),
])
def test_create_site_rejects_bad_input(runner: FlaskCliRunner, args: list[str],
                                       message: str) -> None:
    out = run(runner, "sites", "create", *args, code=1)
    assert message in out
    assert "ok" not in run(runner, "sites", "list")


def test_duplicate_site_key(runner: FlaskCliRunner, shop: int) -> None:
    assert "already exists" in run(runner, "sites", "create", "shop", "--name", "Again",
                                   "--domain", "x.example", code=1)


CSV_GOOD = """name,match,domain,party,kind,provider,purpose,category,retention
_fbp,,,first,,Meta,"Delivers ads, measures them",marketing,3 months
_hj,prefix,,,,Hotjar,Heatmaps,analytics,1 year
sid,regex,,,,,,necessary,session
theme,,,,localStorage,Shop,Remembers dark mode,preferences,
"""


def test_registry_csv_import_export_round_trip(runner: FlaskCliRunner, shop: int,
                                               tmp_path: Any) -> None:
    source = tmp_path / "registry.csv"
    source.write_text(CSV_GOOD)
    out = run(runner, "registry", "import", "shop", str(source))
    assert "Imported 4 entries into shop: 4 added, 0 updated, 0 unchanged, 0 removed" in out
    assert "not live until `cookiegate publish shop`" in out
    exported = run(runner, "registry", "export", "shop", "--format", "csv")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["_fbp"]["retention"] == "3 months" and rows["_fbp"]["category"] == "marketing"
    assert rows["_hj"]["match"] == "prefix"
    assert rows["sid"]["retention"] == "session"
    assert rows["theme"]["kind"] == "localStorage" and rows["theme"]["retention"] == ""
    assert rows["IDE"]["party"] == "third"
    again = tmp_path / "again.csv"
    again.write_text(exported)
    assert "0 added, 0 updated, 8 unchanged" in run(runner, "registry", "import", "shop",
                                                    str(again))


def test_registry_json_round_trip_and_replace(runner: FlaskCliRunner, shop: int,
                                              tmp_path: Any) -> None:
    exported = json.loads(run(runner, "registry", "export", "shop"))
    assert exported["schema_version"] == 1 and len(exported["entries"]) == 4
    exported["entries"] = [e for e in exported["entries"] if e["name"] != "IDE"]
    ga = next(e for e in exported["entries"] if e["name"] == "_ga")
    ga["retention_days"] = 400
    path = tmp_path / "r.json"
    path.write_text(json.dumps(exported))
    out = run(runner, "registry", "import", "shop", str(path), "--replace")
    assert "0 added, 1 updated, 2 unchanged, 1 removed" in out
    names = [e["name"] for e in json.loads(run(runner, "registry", "export", "shop"))["entries"]]
    assert "IDE" not in names


@pytest.mark.parametrize(("content", "messages"), [
    ("name,category\n_ga,analytics\n_x,nope\n,marketing\n",
     ["line 3: category 'nope' is not one of this site's categories", "line 4: name is required"]),
    ("name,category,retention\n_ga,analytics,forever\n", ["line 2: cannot read retention"]),
    ("name,category,match\n[,analytics,regex\n", ["line 2: name is not a valid regular"]),
    ("name,category,kind\n_ga,analytics,flash\n", ["line 2: kind must be one of"]),
    ("name,category\n_ga,analytics,extra\n", ["line 2: more cells than the header"]),
    ("name,category\n_ga,analytics\n_ga,analytics\n", ["line 3: duplicates line 2"]),
    ("cookie,purpose\n_ga,x\n", ["line 1: the CSV header must name"]),
    ("name,category,retention_days\n_ga,analytics,lots\n", ["line 2: retention_days 'lots'"]),
    ('{"entries": [{"name": "_ga"}]}', ["entry 1: category is required"]),
    ('{"entries": [{"name": "_ga", "category": "analytics", "colour": "red"}]}',
     ["entry 1: unknown field(s) colour"]),
    ('{"schema_version": 2, "entries": []}', ["unsupported schema_version 2"]),
    ('{"entries": [1]', ["not valid JSON"]),
    ('{"entries": ["x"]}', ["entry 1: each entry must be an object"]),
])
def test_malformed_registry_changes_nothing(runner: FlaskCliRunner, shop: int, tmp_path: Any,
                                            content: str, messages: list[str]) -> None:
    before = run(runner, "registry", "export", "shop")
    path = tmp_path / ("r.json" if content.startswith("{") else "r.csv")
    path.write_text(content)
    out = run(runner, "registry", "import", "shop", str(path), code=1)
    for message in messages:
        assert message in out
    assert run(runner, "registry", "export", "shop") == before


def test_import_into_unknown_site_and_missing_file(runner: FlaskCliRunner, shop: int,
                                                   tmp_path: Any) -> None:
    path = tmp_path / "r.csv"
    path.write_text(CSV_GOOD)
    assert "no site with key 'nope'" in run(runner, "registry", "import", "nope", str(path),
                                            code=1)
    assert "cannot read" in run(runner, "registry", "import", "shop", str(tmp_path / "x.csv"),
                                code=1)


def test_publish_versions_and_reprompt(runner: FlaskCliRunner, client: FlaskClient, shop: int,
                                       tmp_path: Any) -> None:
    assert "Nothing changed since version 1" in run(runner, "publish", "shop")
    cosmetic = tmp_path / "cosmetic.json"
    entries = json.loads(run(runner, "registry", "export", "shop"))["entries"]
    for entry in entries:
        if entry["name"] == "_ga":
            entry["provider"] = "Google LLC"
    cosmetic.write_text(json.dumps({"entries": entries}))
    run(runner, "registry", "import", "shop", str(cosmetic))
    out = run(runner, "publish", "shop")
    assert "Published shop version 2" in out and "changed cookie _ga" in out
    assert "No material change" in out
    config = client.get("/cg/shop/config.json").get_json()
    assert (config["version"], config["prompt_version"]) == (2, 1)

    new_purpose = tmp_path / "new.csv"
    new_purpose.write_text("name,category,purpose\n_clck,analytics,Session replay\n")
    run(runner, "registry", "import", "shop", str(new_purpose))
    out = run(runner, "publish", "shop")
    assert "Published shop version 3" in out and "added cookie _clck (analytics)" in out
    assert "Visitors will be asked again: new purpose in analytics: session replay" in out
    config = client.get("/cg/shop/config.json").get_json()
    assert (config["version"], config["prompt_version"]) == (3, 3)
    assert "no site with key" in run(runner, "publish", "nope", code=1)


def test_published_config_is_immutable_snapshot(app: Flask, runner: FlaskCliRunner,
                                                client: FlaskClient, shop: int,
                                                tmp_path: Any) -> None:
    """Editing the registry changes nothing visitors see until it is published."""
    before = client.get("/cg/shop/registry.json").get_json()
    path = tmp_path / "r.csv"
    path.write_text("name,category\n_new,analytics\n")
    run(runner, "registry", "import", "shop", str(path))
    assert client.get("/cg/shop/registry.json").get_json() == before
    run(runner, "publish", "shop")
    after = client.get("/cg/shop/registry.json").get_json()
    assert "_new" in [e["name"] for e in after["entries"]]


def test_consent_export_csv_and_json_by_date(runner: FlaskCliRunner, client: FlaskClient,
                                             shop: int, tmp_path: Any) -> None:
    receipts = [post(client, {"action": a, "page": "https://example.com/x?q=1"}).get_json()
                for a in ("accept_all", "reject_all", "withdraw")]
    out = run(runner, "consent", "export", "--site", "shop")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["consent_id"] for r in rows] == [r["consent_id"] for r in receipts]
    assert rows[0]["action"] == "accept_all" and rows[0]["page_url"] == "https://example.com/x"
    assert json.loads(rows[1]["choices"])["analytics"] is False
    assert rows[2]["source"] == "withdrawal"
    target = tmp_path / "export.json"
    run(runner, "consent", "export", "--site", "shop", "--format", "json", "-o", str(target))
    document = json.loads(target.read_text())
    assert document["site"] == "shop" and len(document["records"]) == 3
    day = receipts[0]["created_at"][:10]
    same_day = run(runner, "consent", "export", "--site", "shop", "--from", day, "--to", day)
    assert len(list(csv.DictReader(io.StringIO(same_day)))) == 3
    empty = run(runner, "consent", "export", "--site", "shop", "--from", "2001-01-01", "--to",
                "2001-12-31")
    assert list(csv.DictReader(io.StringIO(empty))) == []
    assert "is not a date" in run(runner, "consent", "export", "--site", "shop", "--from",
                                  "yesterday", code=2)


def test_consent_show(runner: FlaskCliRunner, client: FlaskClient, shop: int) -> None:
    receipt = post(client, {"action": "accept_all"}).get_json()
    shown = json.loads(run(runner, "consent", "show", receipt["consent_id"]))
    assert shown["records"][0]["choices"]["marketing"] is True
    import uuid

    assert "no consent record" in run(runner, "consent", "show", str(uuid.uuid4()), code=1)


def test_ledger_verify_on_empty_database(runner: FlaskCliRunner) -> None:
    assert "Ledger intact: 0 records verified." in run(runner, "ledger", "verify")


def test_app_reads_configuration_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Any) -> None:
    from cookiegate import create_app

    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("COOKIEGATE_DATABASE_URL", url)
    monkeypatch.setenv("COOKIEGATE_SECRET_KEYS", "new,old")
    monkeypatch.setenv("COOKIEGATE_LEDGER_KEYS", "ledger")
    monkeypatch.setenv("COOKIEGATE_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert runtime(app).database.url == url
    assert app.config["SECRET_KEY"] == "new"
    assert not (tmp_path / "inst" / "secrets.json").exists()


def test_generated_secrets_persist_in_the_instance_folder(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Any) -> None:
    from cookiegate import create_app

    for name in ("COOKIEGATE_SECRET_KEYS", "COOKIEGATE_LEDGER_KEYS", "COOKIEGATE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COOKIEGATE_INSTANCE_PATH", str(tmp_path / "inst"))
    first = create_app()
    second = create_app()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "inst" / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert "inst" in runtime(first).database.url


def test_migrations_build_exactly_the_models_schema(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from cookiegate.database import Base

    with runtime(app).database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
