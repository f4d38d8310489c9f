"""Where the web layer finds the app's Runtime."""

from __future__ import annotations

from flask import current_app

from cookiegate.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["cookiegate"]
