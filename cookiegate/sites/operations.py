"""Creating sites, publishing their configuration as immutable versions, and reading it back.

`PublishedSite` is what the public API serves: the newest published snapshot, parsed once
and cached briefly so the consent hot path needs no configuration query.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cookiegate.canonical import canonical_json, loads
from cookiegate.errors import Conflict, InvalidInput, NotFound
from cookiegate.registry.matching import normalise_domain
from cookiegate.registry.operations import entry_data, list_entries
from cookiegate.sites.defaults import CONSENT_MODE, DEFAULT_CATEGORIES, DEFAULT_TEXTS
from cookiegate.sites.models import MAX_LIFETIME_DAYS, Category, PublishedConfig, Site

SITE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
SNAPSHOT_SCHEMA = 1


def validate_site_key(key: str) -> str:
    if not SITE_KEY.match(key or ""):
        raise InvalidInput(f"site key {key!r} must be 1-63 lower-case letters, digits or "
                           "hyphens, starting with a letter or digit", code="invalid_site_key")
    return key


def validate_domains(domains: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in domains:
        # a pasted URL is fine: keep its host name (cookies ignore scheme and port)
        host = urlsplit(raw.strip()).hostname if "://" in raw else raw
        domain = normalise_domain(host)
        if not HOST.match(domain):
            raise InvalidInput(f"domain {raw!r} must be a bare host name such as example.com "
                               "(no scheme, port or path)", code="invalid_domain")
        if domain not in cleaned:
            cleaned.append(domain)
    if not cleaned:
        raise InvalidInput("a site needs at least one domain", code="invalid_domain")
    return cleaned


def validate_lifetime(days: int, what: str) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_LIFETIME_DAYS:
        raise InvalidInput(f"{what} must be between 1 and {MAX_LIFETIME_DAYS} days (13 months)",
                           code="invalid_lifetime")
    return days


def list_sites(session: Session) -> list[tuple[Site, int | None]]:
    """Every site with its newest published version (None before the first publication)."""
    newest = (select(PublishedConfig.site_id, func.max(PublishedConfig.version).label("version"))
              .group_by(PublishedConfig.site_id).subquery())
    rows = session.execute(select(Site, newest.c.version)
                           .outerjoin(newest, newest.c.site_id == Site.id).order_by(Site.key))
    return [(site, version) for site, version in rows.all()]


def get_site(session: Session, key: str) -> Site:
    site = session.scalar(select(Site).where(Site.key == key))
    if site is None:
        raise NotFound(f"no site with key {key!r}", code="site_not_found")
    return site


def create_site(session: Session, key: str, name: str, domains: Sequence[str],
                languages: Sequence[str] = ("en",), **settings: Any) -> Site:
    """A new site with the default categories; not visible to visitors until published."""
    validate_site_key(key)
    if not name.strip():
        raise InvalidInput("a site needs a name", code="invalid_name")
    if session.scalar(select(Site.id).where(Site.key == key)) is not None:
        raise Conflict(f"a site with key {key!r} already exists", code="site_exists")
    langs = [lang for lang in languages if lang]
    for lang in langs:
        if not LANGUAGE.match(lang):
            raise InvalidInput(f"language {lang!r} is not a language tag such as en or pt-BR",
                               code="invalid_language")
    site = Site(key=key, name=name.strip(), domains=validate_domains(domains),
                languages=langs or ["en"], texts=settings.pop("texts", dict(DEFAULT_TEXTS)),
                theme=settings.pop("theme", {}), **settings)
    for days, what in ((site.accept_lifetime_days, "the accept lifetime"),
                       (site.refusal_lifetime_days, "the refusal lifetime")):
        if days is not None:
            validate_lifetime(days, what)
    for position, spec in enumerate(DEFAULT_CATEGORIES):
        site.categories.append(Category(
            position=position, key=spec["key"], necessary=spec["necessary"],
            sale_or_sharing=spec["sale_or_sharing"], names=dict(spec["names"]),
            descriptions=dict(spec["descriptions"]), consent_mode=list(CONSENT_MODE[spec["key"]]),
        ))
    session.add(site)
    session.flush()
    return site


def resolve_language(requested: str | None, languages: Sequence[str]) -> str:
    """The site language closest to what the visitor asked for, else the site's first."""
    if not requested:
        return languages[0]
    if len(requested) > 35 or not LANGUAGE.match(requested):
        raise ValueError("lang must be a language tag such as en or pt-BR")
    exact, primary = _language_index(tuple(languages))
    lowered = requested.lower()
    return exact.get(lowered) or primary.get(lowered.split("-", 1)[0]) or languages[0]


@lru_cache(maxsize=256)
def _language_index(languages: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Lower-cased tags, and primary subtags (the first language with each), to match on."""
    primary: dict[str, str] = {}
    for lang in languages:
        primary.setdefault(lang.split("-", 1)[0].lower(), lang)
    return {lang.lower(): lang for lang in languages}, primary


# --- publishing -----------------------------------------------------------------------------

def build_snapshot(session: Session, site: Site, version: int) -> dict[str, Any]:
    entries = [entry_data(e).as_export() for e in list_entries(session, site.id)]
    return {
        "schema_version": SNAPSHOT_SCHEMA,
        "site": site.key,
        "name": site.name,
        "version": version,
        "domains": list(site.domains),
        "languages": list(site.languages),
        "texts": site.texts,
        "theme": site.theme,
        "policy_url": site.policy_url,
        "lifetimes": {"accept_days": site.accept_lifetime_days,
                      "refusal_days": site.refusal_lifetime_days},
        "categories": [
            {"key": c.key, "necessary": c.necessary, "sale_or_sharing": c.sale_or_sharing,
             "names": c.names, "descriptions": c.descriptions, "consent_mode": c.consent_mode}
            for c in site.categories
        ],
        "entries": entries,
    }


def _purposes(snapshot: dict[str, Any]) -> set[tuple[str, str]]:
    necessary = {c["key"] for c in snapshot["categories"] if c["necessary"]}
    return {(e["category"], " ".join(e["purpose"].lower().split()))
            for e in snapshot["entries"] if e["category"] not in necessary}


def material_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Why visitors must be asked again: a new category, or a new purpose in a category."""
    if old is None:
        return ["first publication"]
    reasons = []
    old_categories = {c["key"] for c in old["categories"]}
    for category in new["categories"]:
        if category["key"] not in old_categories and not category["necessary"]:
            reasons.append(f"new category {category['key']}")
    for category, purpose in sorted(_purposes(new) - _purposes(old)):
        if category in old_categories:
            reasons.append(f"new purpose in {category}: {purpose[:80]}")
    return reasons


@dataclass
class Publication:
    config: PublishedConfig
    created: bool
    reprompt_reasons: list[str]
    changes: list[str] = field(default_factory=list)


def _without_version(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "version"}


def latest_publication(session: Session, site_id: int) -> PublishedConfig | None:
    return session.scalar(select(PublishedConfig).where(PublishedConfig.site_id == site_id)
                          .order_by(PublishedConfig.version.desc()).limit(1))


def publish_site(session: Session, site: Site) -> Publication:
    """Snapshot the site's current configuration as a new version, unless nothing changed."""
    latest = latest_publication(session, site.id)
    old = loads(latest.body) if latest else None
    version = (latest.version + 1) if latest else 1
    snapshot = build_snapshot(session, site, version)
    unchanged = old is not None and _without_version(old) == _without_version(snapshot)
    if latest is not None and unchanged:
        return Publication(config=latest, created=False, reprompt_reasons=[])
    reasons = material_changes(old, snapshot)
    body = canonical_json(snapshot)
    config = PublishedConfig(
        site_id=site.id, version=version, body=body,
        sha256=hashlib.sha256(body.encode()).hexdigest(),
        prompt_version=version if reasons or latest is None else latest.prompt_version,
    )
    session.add(config)
    session.flush()
    return Publication(config=config, created=True,
                       reprompt_reasons=[] if latest is None else reasons,
                       changes=describe_changes(old, snapshot))


def describe_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    if old is None:
        return [f"{len(new['categories'])} categories, {len(new['entries'])} registry entries"]
    changes = []
    for section in ("name", "domains", "languages", "texts", "theme", "policy_url", "lifetimes"):
        if old.get(section) != new.get(section):
            changes.append(f"{section} changed")

    def keyed(snapshot: dict[str, Any]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
        return {(e["kind"], e["name"], e["match"], e["domain"] or ""): e
                for e in snapshot["entries"]}

    before, after = keyed(old), keyed(new)
    for key in sorted(after.keys() - before.keys()):
        changes.append(f"added {key[0]} {key[1]} ({after[key]['category']})")
    for key in sorted(before.keys() - after.keys()):
        changes.append(f"removed {key[0]} {key[1]}")
    for key in sorted(before.keys() & after.keys()):
        if before[key] != after[key]:
            changes.append(f"changed {key[0]} {key[1]}")
    if old["categories"] != new["categories"]:
        changes.append("categories changed")
    return changes


# --- what the public API reads --------------------------------------------------------------

@dataclass(frozen=True)
class PublishedSite:
    """The newest published configuration of a site, ready for the public API."""

    site_id: int
    key: str
    version: int
    prompt_version: int
    sha256: str
    body: dict[str, Any]
    ledger_lanes: int
    proof_retention_days: int

    @property
    def domains(self) -> list[str]:
        return list(self.body["domains"])

    @property
    def languages(self) -> list[str]:
        return list(self.body["languages"])

    @property
    def categories(self) -> list[dict[str, Any]]:
        return list(self.body["categories"])

    @property
    def category_keys(self) -> list[str]:
        return [c["key"] for c in self.body["categories"]]

    @property
    def accept_lifetime_days(self) -> int:
        return int(self.body["lifetimes"]["accept_days"])

    @property
    def refusal_lifetime_days(self) -> int:
        return int(self.body["lifetimes"]["refusal_days"])


def load_published_site(session: Session, key: str, version: int | None = None) -> PublishedSite:
    site = get_site(session, key)
    query = select(PublishedConfig).where(PublishedConfig.site_id == site.id)
    if version is None:
        query = query.order_by(PublishedConfig.version.desc()).limit(1)
    else:
        query = query.where(PublishedConfig.version == version)
    config = session.scalar(query)
    if config is None:
        if version is not None:
            raise NotFound(f"site {key!r} has no published version {version}",
                           code="version_not_found")
        raise NotFound(f"site {key!r} has not published a configuration yet "
                       f"(run `cookiegate publish {key}`)", code="site_not_published")
    return PublishedSite(site_id=site.id, key=site.key, version=config.version,
                         prompt_version=config.prompt_version, sha256=config.sha256,
                         body=loads(config.body), ledger_lanes=site.ledger_lanes,
                         proof_retention_days=site.proof_retention_days)


class PublishedSites:
    """A short-lived in-process cache of published configurations, per site key.

    Several service processes each keep their own; a publication reaches all of them within
    `ttl` seconds. `forget` drops an entry at once in the process that published.
    """

    def __init__(self, sessions: Any, ttl: float = 5.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._cache: dict[str, tuple[float, PublishedSite]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> PublishedSite:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        with self._sessions() as session:
            published = load_published_site(session, key)
        with self._lock:
            self._cache[key] = (now, published)
        return published

    def version(self, key: str, version: int) -> PublishedSite:
        current = self.get(key)
        if current.version == version:
            return current
        with self._sessions() as session:
            return load_published_site(session, key, version)

    def forget(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._cache.clear()
            else:
                self._cache.pop(key, None)
