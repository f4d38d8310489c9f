"""CookieGate: a self-hosted cookie consent and website-tracking gateway.

`create_app` is the only entry point: `gunicorn "cookiegate:create_app()"` in production,
`cookiegate run` or `cookiegate demo` on a laptop.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

__version__ = "0.1.0"

DEFAULTS: dict[str, Any] = {
    "CONFIG_CACHE_SECONDS": 5.0,
    "MAX_CONSENT_BYTES": 8 * 1024,
    "PROXY_FIX": 0,  # how many trusted reverse proxies set X-Forwarded-For in front of us
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": 3600,
}


def _instance_secrets(instance: Path) -> dict[str, str]:
    """Keys generated on first start and kept in the instance folder (mode 0600).

    Several processes behind a load balancer must share keys: set COOKIEGATE_SECRET_KEYS and
    COOKIEGATE_LEDGER_KEYS in their environment instead.
    """
    path = instance / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    generated = {"SECRET_KEYS": secrets.token_urlsafe(32), "LEDGER_KEYS": secrets.token_urlsafe(32)}
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance_path = os.environ.get("COOKIEGATE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None,
                instance_relative_config=True)
    app.config.update(DEFAULTS)
    app.config.from_pyfile("cookiegate.cfg", silent=True)
    app.config.from_prefixed_env("COOKIEGATE")
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'cookiegate.sqlite3'}"
    if not app.config.get("SECRET_KEYS") or not app.config.get("LEDGER_KEYS"):
        generated = _instance_secrets(instance)
        for key in ("SECRET_KEYS", "LEDGER_KEYS"):
            app.config[key] = app.config.get(key) or generated[key]

    from cookiegate.runtime import Runtime, key_list

    app.config["SECRET_KEY"] = key_list(app.config["SECRET_KEYS"])[0]
    if int(app.config["PROXY_FIX"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.extensions["cookiegate"] = Runtime.from_config(app.config)

    from cookiegate import cli
    from cookiegate.web import errors, preferences, public
    from cookiegate.web.json_provider import OrjsonProvider

    app.json = OrjsonProvider(app)

    errors.init_app(app)
    app.register_blueprint(public.bp)
    preferences.init_app(app)
    cli.init_app(app)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "version": __version__})

    return app
