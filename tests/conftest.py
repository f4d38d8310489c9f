"""Fixtures: an app on a fresh database (SQLite always, PostgreSQL when configured), a client,
a CLI runner, a published example site, and a live server on loopback."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from cookiegate import create_app
from cookiegate.registry.operations import import_entries
from cookiegate.registry.transfer import validate_entry
from cookiegate.runtime import Runtime
from cookiegate.sites.operations import create_site, publish_site

PG_URL = os.environ.get("COOKIEGATE_TEST_DATABASE_URL")
PG_SKIP = "PostgreSQL tests need COOKIEGATE_TEST_DATABASE_URL (CI sets it; see README)"

SHOP_ENTRIES: list[dict[str, Any]] = [
    {"name": "PHPSESSID", "category": "necessary", "provider": "Shop", "retention": "session",
     "purpose": "Session"},
    {"name": "_ga", "category": "analytics", "provider": "Google Analytics",
     "retention": "2 years", "purpose": "Distinguishes visitors"},
    {"name": "_ga_", "match": "prefix", "category": "analytics", "provider": "Google Analytics",
     "retention": "2 years", "purpose": "Session state"},
    {"name": "IDE", "domain": "doubleclick.net", "category": "marketing",
     "provider": "Google DoubleClick", "retention": "13 months", "purpose": "Ad targeting"},
]


def _postgres_url(worker: str) -> str:
    """A database of this test worker's own on the configured server, emptied per test."""
    assert PG_URL is not None
    url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                   if PG_URL.startswith("postgresql://") else PG_URL)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = url.set(database=name)
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any, worker_id: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cookiegate.sqlite3'}"
    if not PG_URL:
        pytest.skip(PG_SKIP)
    return _postgres_url(worker_id)


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEYS": "test-secret-key",
        "LEDGER_KEYS": "test-ledger-key",
        "CONFIG_CACHE_SECONDS": 0,
    })
    app.instance_path = str(tmp_path / "instance")
    runtime(app).database.upgrade()
    yield app
    runtime(app).database.dispose()


def runtime(app: Flask) -> Runtime:
    return app.extensions["cookiegate"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def make_site(app: Flask, key: str = "shop", domains: tuple[str, ...] = ("example.com",),
              entries: list[dict[str, Any]] | None = None, **settings: Any) -> int:
    rt = runtime(app)
    with rt.database.transaction() as session:
        site = create_site(session, key, key.title(), domains, ["en", "de"], **settings)
        rt.ledger.open_lanes(session.connection(), site.id, site.ledger_lanes)
        categories = [c.key for c in site.categories]
        data = [validate_entry(e, categories, site.domains) for e in (entries or SHOP_ENTRIES)]
        import_entries(session, site.id, data)
        publish_site(session, site)
        return site.id


@pytest.fixture
def shop(app: Flask) -> int:
    """A published site `shop` on example.com with four registry entries."""
    return make_site(app)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # fixture sites: every *.test host is this machine
                 "--host-resolver-rules=MAP *.test 127.0.0.1"]


def chromium_path() -> str | None:
    """The system Chromium (or COOKIEGATE_CHROMIUM); None means Playwright's own, if any."""
    import shutil

    configured = os.environ.get("COOKIEGATE_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A real headless Chromium driven by Playwright."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=chromium_path(),
                                                  args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"no Chromium to run browser tests ({str(exc).splitlines()[0]}); "
                        "install Debian's chromium or set COOKIEGATE_CHROMIUM")
        yield chromium
        chromium.close()


@pytest.fixture
def worker_id(request: pytest.FixtureRequest) -> str:
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"
