"""The banner's script and stylesheet as the gateway serves them: minified once, then the
site's config (script) or theme (stylesheet) is added per request.

The readable sources live in cookiegate/static/banner/; nothing needs building to serve them.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import rcssmin
from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print

CONFIG_PLACEHOLDER = "__CONFIG__"
POSITIONS = ("bar", "box", "modal")
SCHEMES = ("auto", "light", "dark")
# theme key -> the custom property it sets
THEME_PROPERTIES = {"background": "--cg-bg", "text": "--cg-fg", "accent": "--cg-accent",
                    "accent_text": "--cg-on-accent", "radius": "--cg-radius", "font": "--cg-font"}
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3,8}|(rgb|rgba|hsl|hsla)\([0-9., %/]+\)|[a-zA-Z]{3,20})$")
_LENGTH = re.compile(r"^\d{1,3}(\.\d+)?(px|rem|em|%)?$")
_FONT = re.compile(r"^[\w \-,'\"]{1,200}$")


def _source(name: str) -> str:
    return (resources.files("cookiegate") / "static" / "banner" / name).read_text("utf-8")


@cache
def minified_script() -> str:
    # Local names are shortened too; the public API (window.CookieGate) keeps its names.
    script = minify_print(es5(_source("banner.js")), obfuscate=True, obfuscate_globals=False)
    if CONFIG_PLACEHOLDER not in script:
        raise RuntimeError("banner.js lost its config placeholder")
    return script


@cache
def minified_stylesheet() -> str:
    return rcssmin.cssmin(_source("banner.css"))


def banner_script(config_json: str) -> str:
    """The banner with the site's config as its argument; `config_json` must be JSON."""
    safe = config_json.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")
    return minified_script().replace(CONFIG_PLACEHOLDER, safe, 1)


def valid_theme_value(key: str, value: Any) -> bool:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return False
    text = str(value).strip()
    if key == "radius":
        return bool(_LENGTH.match(text))
    if key == "font":
        return bool(_FONT.match(text))
    return bool(_COLOUR.match(text))


def theme_settings(theme: dict[str, Any]) -> dict[str, str]:
    """position and scheme, each one of its allowed values."""
    position = theme.get("position")
    scheme = theme.get("scheme")
    return {"position": position if position in POSITIONS else "bar",
            "scheme": scheme if scheme in SCHEMES else "auto"}


def banner_stylesheet(theme: dict[str, Any]) -> str:
    """The stylesheet plus the site's colours, radius and font; invalid values are left out
    so that a theme can never inject CSS."""
    declarations = []
    for key, prop in THEME_PROPERTIES.items():
        value = theme.get(key)
        if value is None or not valid_theme_value(key, value):
            continue
        text = str(value).strip()
        if key == "radius" and _LENGTH.match(text) and text[-1].isdigit():
            text += "px"
        declarations.append(f"{prop}:{text}")
    css = minified_stylesheet()
    if declarations:
        css += ".cg,.cg-reopen{" + ";".join(declarations) + "}"
    return css
