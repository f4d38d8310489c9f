"""What visitors and the banner read: the public config and the cookie policy document."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cookiegate.banner.assets import theme_settings
from cookiegate.banner.strings import UI_LANGUAGES, default_category_text, ui_strings
from cookiegate.registry.matching import domain_covers
from cookiegate.registry.retention import Retention
from cookiegate.sites.defaults import ALWAYS_GRANTED
from cookiegate.sites.operations import PublishedSite, resolve_language


def available_languages(site: PublishedSite) -> list[str]:
    """The site's own languages first, then every language the banner speaks."""
    return list(_with_ui_languages(tuple(site.body["languages"])))


@lru_cache(maxsize=256)
def _with_ui_languages(own: tuple[str, ...]) -> tuple[str, ...]:
    return (*own, *(lang for lang in UI_LANGUAGES if lang not in own))


def pick_language(site: PublishedSite, requested: str | None) -> str:
    try:
        return resolve_language(requested, available_languages(site))
    except ValueError:
        return site.languages[0]


def _translated(values: dict[str, str], lang: str, fallback: str,
                default: str | None = None) -> str:
    """The site's own wording in `lang`, else the catalog's, else the site's first language."""
    primary = lang.split("-", 1)[0]
    return (values.get(lang) or values.get(primary) or default or values.get(fallback)
            or next(iter(values.values()), ""))


def _entry_summary(entry: dict[str, Any]) -> dict[str, Any]:
    retention = Retention(days=entry["retention_days"], session=entry["session"])
    return {"name": entry["name"], "match": entry["match"], "domain": entry["domain"],
            "kind": entry["kind"], "party": entry["party"], "provider": entry["provider"],
            "purpose": entry["purpose"], "retention": retention.label(),
            "retention_days": entry["retention_days"], "session": entry["session"]}


def _categories(site: PublishedSite, lang: str) -> list[dict[str, Any]]:
    fallback = site.languages[0]
    entries = site.body["entries"]
    described = []
    for c in site.categories:
        default = default_category_text(lang, c["key"]) or (None, None)
        described.append({
            "key": c["key"], "necessary": c["necessary"], "sale_or_sharing": c["sale_or_sharing"],
            "name": _translated(c["names"], lang, fallback, default[0]) or c["key"],
            "description": _translated(c["descriptions"], lang, fallback, default[1]),
            "consent_mode": c["consent_mode"],
            "entries": [_entry_summary(e) for e in entries if e["category"] == c["key"]]})
    return described


def banner_texts(site: PublishedSite, lang: str) -> dict[str, str]:
    """The banner's wording in `lang`: the catalog's, with the site's own texts (title,
    description, or any label) in that language on top. A site may also write texts in a
    language the catalog lacks; the labels it leaves out are then English."""
    texts = ui_strings(lang)
    own = site.body["texts"]
    texts.update(own.get(lang) or own.get(lang.split("-", 1)[0]) or {})
    return texts


def public_config(site: PublishedSite, requested_lang: str | None, gpc: bool) -> dict[str, Any]:
    """config.json: what the banner needs, in one language."""
    lang = pick_language(site, requested_lang)
    return {
        "site": site.key,
        "version": site.version,
        "prompt_version": site.prompt_version,
        "sha256": site.sha256,
        "lang": lang,
        "languages": available_languages(site),
        "texts": banner_texts(site, lang),
        "theme": theme_settings(site.body["theme"]),
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


# Labels the first layer does not use (the second layer's tables; the embed placeholder and
# the preference page, which the gateway renders): banner.js fetches config.json for them.
SECOND_LAYER_TEXTS = frozenset({"cookies_used", "col_name", "col_provider", "col_purpose",
                                "col_retention", "col_party", "first_party", "third_party",
                                "session", "days", "embed_blocked", "embed_load",
                                "embed_always", "saved", "back"})
_ENTRY_DEFAULTS = {"match": "exact", "domain": None, "kind": "cookie"}


def banner_config(site: PublishedSite, requested_lang: str | None, gpc: bool) -> dict[str, Any]:
    """public_config as banner.js inlines it: what the first layer and cookie removal need.
    Registry entries keep only what identifies them (name, match, domain, kind, without
    default values); the second layer fetches config.json for providers and purposes."""
    config = public_config(site, requested_lang, gpc)
    del config["sha256"]
    config["texts"] = {k: v for k, v in config["texts"].items() if k not in SECOND_LAYER_TEXTS}
    for category in config["categories"]:
        category["entries"] = [
            {k: entry[k] for k in ("name", "match", "domain", "kind")
             if entry[k] != _ENTRY_DEFAULTS.get(k)}
            for entry in category["entries"] if _removable(entry, site.domains)]
    return config


def _removable(entry: dict[str, Any], domains: list[str]) -> bool:
    """Whether the banner can delete this entry's cookies: only the site's own domains' are
    within a page's reach."""
    return entry["domain"] is None or any(
        domain_covers(entry["domain"], d) or domain_covers(d, entry["domain"]) for d in domains)
