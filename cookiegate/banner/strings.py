"""The banner's own words in the 24 official EU languages and Welsh.

A site may override the title, the description and its categories' names and descriptions
per language; everything else (button labels, table headings, the GPC note) comes from here.
The catalog is a JSON file, one object per language, every language with every key.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# The 24 official languages of the EU, plus Welsh.
UI_LANGUAGES = ("bg", "cs", "cy", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
                "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")
CATEGORY_KEYS = ("necessary", "preferences", "analytics", "marketing")


@cache
def catalog() -> dict[str, dict[str, Any]]:
    text = (resources.files("cookiegate.banner") / "strings.json").read_text("utf-8")
    loaded: dict[str, dict[str, Any]] = json.loads(text)
    return loaded


def ui_strings(lang: str) -> dict[str, str]:
    """Button labels, headings and notes for one language (English when unknown)."""
    strings = catalog()
    chosen = strings.get(lang) or strings.get(lang.split("-", 1)[0].lower()) or strings["en"]
    return {k: v for k, v in chosen.items() if k != "categories"}


def default_category_text(lang: str, key: str) -> tuple[str, str] | None:
    """(name, description) of a default category in `lang`, if the catalog has one."""
    strings = catalog()
    chosen = strings.get(lang) or strings.get(lang.split("-", 1)[0].lower())
    if not chosen or key not in chosen["categories"]:
        return None
    found = chosen["categories"][key]
    return found["name"], found["description"]
