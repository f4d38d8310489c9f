"""Reading a visitor's choice as the banner (or the preference page) submits it.

Every problem gets a message that says which field is wrong and what it should be; the
ledger only ever sees a complete choice with every category explicitly true or false.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cookiegate.errors import InvalidInput
from cookiegate.sites.operations import PublishedSite, resolve_language
from cookiegate.sites.policy import available_languages

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")
SOURCES = ("banner", "preferences", "withdrawal", "gpc")
FIELDS = {"consent_id", "choices", "action", "lang", "page", "gpc", "source", "version", "token"}
MAX_PAGE_URL = 2048


@dataclass(frozen=True)
class ConsentSubmission:
    consent_id: str | None
    action: str
    choices: dict[str, bool]
    language: str
    page_url: str | None
    gpc: bool
    source: str
    version: int | None
    token: str | None


def _fail(message: str, code: str = "invalid_request") -> InvalidInput:
    return InvalidInput(message, code=code)


def parse_consent_id(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("consent_id must be a UUID string", "invalid_consent_id")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise _fail(f"consent_id {value[:60]!r} is not a UUID", "invalid_consent_id") from None
    if parsed.version != 4 or str(parsed) != value.lower():
        raise _fail("consent_id must be a random (version 4) UUID in its usual "
                    "8-4-4-4-12 form", "invalid_consent_id")
    return str(parsed)


def clean_page_url(value: Any) -> str | None:
    """The page the choice was made on, without query string or fragment (they may hold ids)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _fail("page must be the URL of the page, as text", "invalid_page")
    if len(value) > MAX_PAGE_URL:
        raise _fail(f"page is longer than {MAX_PAGE_URL} characters", "invalid_page")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail("page must be an absolute http or https URL", "invalid_page")
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", "", ""))


def _language(requested: Any, site: PublishedSite) -> str:
    if requested is not None and not isinstance(requested, str):
        raise _fail("lang must be a language tag such as en or pt-BR", "invalid_lang")
    try:
        return resolve_language(requested, available_languages(site))
    except ValueError as exc:
        raise _fail(str(exc), "invalid_lang") from None


def parse_submission(body: Any, site: PublishedSite, gpc_header: bool = False,
                     source: str = "banner") -> ConsentSubmission:
    if not isinstance(body, Mapping):
        raise _fail("the request body must be a JSON object", "invalid_body")
    unknown = set(body) - FIELDS
    if unknown:
        raise _fail(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}; accepted fields "
                    f"are {', '.join(sorted(FIELDS))}", "unknown_field")

    action = body.get("action")
    if action not in ACTIONS:
        raise _fail(f"action must be one of {', '.join(ACTIONS)}", "invalid_action")

    gpc = body.get("gpc", False)
    if not isinstance(gpc, bool):
        raise _fail("gpc must be true or false", "invalid_gpc")
    gpc = gpc or gpc_header

    chosen = body.get("choices", {})
    if chosen is None:
        chosen = {}
    if not isinstance(chosen, Mapping):
        raise _fail('choices must be an object such as {"analytics": true}', "invalid_choices")
    categories = site.categories
    keys = [c["key"] for c in categories]
    unknown_categories = [str(k) for k in chosen if k not in keys]
    if unknown_categories:
        raise _fail(f"unknown categor{'y' if len(unknown_categories) == 1 else 'ies'} "
                    f"{', '.join(sorted(unknown_categories))}; this site's categories are "
                    f"{', '.join(keys)}", "unknown_category")
    for key, value in chosen.items():
        if not isinstance(value, bool):
            raise _fail(f"choices.{key} must be true or false, not {type(value).__name__}",
                        "invalid_choices")
    for category in categories:
        if category["necessary"] and chosen.get(category["key"]) is False:
            raise _fail(f"{category['key']} is strictly necessary and cannot be refused",
                        "necessary_refused")
    if action == "custom" and "choices" not in body:
        raise _fail("a custom choice needs choices, one true or false per category",
                    "invalid_choices")

    choices: dict[str, bool] = {}
    for category in categories:
        key = category["key"]
        if category["necessary"]:
            choices[key] = True
        elif action == "accept_all":
            # Under Global Privacy Control "accept all" does not reach sale or sharing:
            # only the category's own switch (a custom choice) can grant it.
            choices[key] = not (gpc and category["sale_or_sharing"])
        elif action in ("reject_all", "withdraw"):
            choices[key] = False
        else:
            choices[key] = bool(chosen.get(key, False))

    consent_id = body.get("consent_id")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                or version < 1):
        raise _fail("version must be the positive config version the banner showed",
                    "invalid_version")
    token = body.get("token")
    if token is not None and not isinstance(token, str):
        raise _fail("token must be the consent token string", "invalid_token")
    requested_source = body.get("source")
    if requested_source is not None and requested_source not in SOURCES:
        raise _fail(f"source must be one of {', '.join(SOURCES)}", "invalid_source")
    final_source = "withdrawal" if action == "withdraw" else requested_source or source
    return ConsentSubmission(
        consent_id=None if consent_id is None else parse_consent_id(consent_id),
        action=action, choices=choices, language=_language(body.get("lang"), site),
        page_url=clean_page_url(body.get("page")), gpc=gpc, source=final_source,
        version=version, token=token or None,
    )
