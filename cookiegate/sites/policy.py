"""What visitors and the banner read: the public config and the cookie policy document."""

from __future__ import annotations

from typing import Any

from cookiegate.registry.retention import Retention
from cookiegate.sites.defaults import ALWAYS_GRANTED, DEFAULT_TEXTS
from cookiegate.sites.operations import PublishedSite, resolve_language


def pick_language(site: PublishedSite, requested: str | None) -> str:
    try:
        return resolve_language(requested, site.languages)
    except ValueError:
        return site.languages[0]


def _translated(values: dict[str, str], lang: str, fallback: str) -> str:
    return values.get(lang) or values.get(fallback) or next(iter(values.values()), "")


def _entry_summary(entry: dict[str, Any]) -> dict[str, Any]:
    retention = Retention(days=entry["retention_days"], session=entry["session"])
    return {"name": entry["name"], "match": entry["match"], "domain": entry["domain"],
            "kind": entry["kind"], "party": entry["party"], "provider": entry["provider"],
            "purpose": entry["purpose"], "retention": retention.label(),
            "retention_days": entry["retention_days"], "session": entry["session"]}


def _categories(site: PublishedSite, lang: str) -> list[dict[str, Any]]:
    fallback = site.languages[0]
    entries = site.body["entries"]
    return [
        {"key": c["key"], "necessary": c["necessary"], "sale_or_sharing": c["sale_or_sharing"],
         "name": _translated(c["names"], lang, fallback) or c["key"],
         "description": _translated(c["descriptions"], lang, fallback),
         "consent_mode": c["consent_mode"],
         "entries": [_entry_summary(e) for e in entries if e["category"] == c["key"]]}
        for c in site.categories
    ]


def public_config(site: PublishedSite, requested_lang: str | None, gpc: bool) -> dict[str, Any]:
    """config.json: what the banner needs, in one language."""
    lang = pick_language(site, requested_lang)
    texts = site.body["texts"]
    chosen = dict(DEFAULT_TEXTS["en"])
    chosen.update(texts.get(site.languages[0], {}))
    chosen.update(texts.get(lang, {}))
    return {
        "site": site.key,
        "version": site.version,
        "prompt_version": site.prompt_version,
        "sha256": site.sha256,
        "lang": lang,
        "languages": site.languages,
        "texts": chosen,
        "theme": site.body["theme"],
        "policy_url": site.body["policy_url"],
        "lifetimes": site.body["lifetimes"],
        "domains": site.domains,
        "gpc": gpc,
        "consent_mode": {"always_granted": list(ALWAYS_GRANTED)},
        "categories": _categories(site, lang),
    }


def policy_document(site: PublishedSite, requested_lang: str | None) -> dict[str, Any]:
    """The cookie policy: every category with the cookies it covers."""
    lang = pick_language(site, requested_lang)
    return {
        "site": site.key,
        "name": site.body["name"],
        "version": site.version,
        "lang": lang,
        "lifetimes": site.body["lifetimes"],
        "categories": _categories(site, lang),
    }
