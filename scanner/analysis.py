"""From what the browser saw to the report: cookies merged across pages and phases,
classified against the registry and the known-cookie database, and the findings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scanner.events import PHASES, PageObservation
from scanner.knowndb import KnownCookies
from scanner.parties import Parties
from scanner.registry import Registry, RegistryEntry

SEVERITY = {"pre_consent": "high", "ignored_refusal": "high", "undeclared": "medium",
            "expiry_mismatch": "medium", "insecure": "medium", "category_mismatch": "low",
            "stale": "low"}
CONSENT_PHASES = {"none": "pre_consent", "reject": "ignored_refusal"}


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


@dataclass
class Sighting:
    """One cookie or storage key, merged over every page and phase it was seen on."""

    name: str
    domain: str
    path: str
    kind: str
    phases: dict[str, tuple[int, str]] = field(default_factory=dict)  # phase -> first (order, url)
    expires: float | None = None  # epoch seconds; None for session
    http_only: bool | None = None
    secure: bool | None = None
    same_site: str | None = None
    via: str = "unknown"
    set_by_url: str | None = None
    blocked: str | None = None
    in_jar: bool = False

    def seen(self, phase: str, order: int, url: str) -> None:
        if phase not in self.phases or order < self.phases[phase][0]:
            self.phases[phase] = (order, url)

    @property
    def first(self) -> tuple[str, int, str]:
        phase, (order, url) = min(self.phases.items(),
                                  key=lambda item: (PHASES.index(item[0]), item[1][0]))
        return phase, order, url


def merge_sightings(observations: list[PageObservation]) -> list[Sighting]:
    found: dict[tuple[str, str, str, str], Sighting] = {}

    def sighting(kind: str, name: str, domain: str, path: str) -> Sighting:
        key = (kind, name, domain.lstrip(".").lower(), path)
        if key not in found:
            found[key] = Sighting(name=name, domain=key[2], path=path, kind=kind)
        return found[key]

    for page in observations:
        for cookie in page.jar:
            item = sighting("cookie", cookie.name, cookie.domain, cookie.path)
            item.seen(page.phase, page.order, page.url)
            item.in_jar = True
            item.expires = None if cookie.expires < 0 else cookie.expires
            item.http_only, item.secure = cookie.http_only, cookie.secure
            item.same_site = cookie.same_site
        for header in page.headers:
            if header.blocked is None:
                continue
            item = sighting("cookie", header.name, header.domain, header.path)
            item.seen(page.phase, page.order, page.url)
            if not item.in_jar:
                item.blocked = header.blocked
                item.secure, item.http_only = header.secure, header.http_only
                item.same_site = header.same_site
                if header.max_age_days is not None:
                    item.expires = time.time() + header.max_age_days * 86400
        for key in page.storage:
            sighting(key.kind, key.name, key.origin_host, "/").seen(page.phase, page.order,
                                                                    page.url)
    _attribute(found.values(), observations)
    return sorted(found.values(), key=lambda s: (s.first[1], s.kind, s.name, s.domain))


def _attribute(sightings: Any, observations: list[PageObservation]) -> None:
    """What set each cookie: the response whose Set-Cookie header named it, else the script
    that wrote it (document.cookie or cookieStore)."""
    headers: dict[tuple[str, str], str] = {}
    writes: dict[str, list[tuple[str, str | None]]] = {}
    for page in observations:
        for header in page.headers:
            headers.setdefault((header.name, header.domain), header.response_url)
        for write in page.writes:
            domain = (write.domain or _host(write.frame_url)).lstrip(".").lower()
            writes.setdefault(write.name, []).append((domain, write.script_url or write.frame_url))
    for item in sightings:
        if item.kind != "cookie":
            continue
        url = headers.get((item.name, item.domain))
        if url:
            item.via, item.set_by_url = "http", url
            continue
        for domain, script in writes.get(item.name, []):
            if domain == item.domain or domain.endswith("." + item.domain) \
                    or item.domain.endswith("." + domain):
                item.via, item.set_by_url = "js", script
                break


@dataclass
class Classified:
    sighting: Sighting
    party: str
    entry: RegistryEntry | None
    known: Any  # KnownCookie | None
    category: str | None
    source: str


def classify(sighting: Sighting, registry: Registry, known: KnownCookies,
             parties: Parties) -> Classified:
    entry = registry.match(sighting.name, sighting.domain, sighting.kind)
    suggestion = known.suggest(sighting.name, sighting.domain)
    if entry is not None:
        category, source = entry.category, "registry"
    elif suggestion is not None:
        category, source = suggestion.category, "known-db"
    else:
        category, source = None, "none"
    return Classified(sighting, parties.party(sighting.domain), entry, suggestion, category,
                      source)


def _non_necessary(item: Classified, registry: Registry) -> bool:
    if item.source == "registry":
        return not registry.is_necessary(item.category or "")
    if item.category is not None:
        return item.category != "necessary"
    return item.party == "third"  # an unknown third-party cookie is a tracker until shown not


def _retention_days(known: Any) -> float | None:
    retention = getattr(known, "retention", None)
    return None if retention is None or retention.session else retention.days


def findings_for(items: list[Classified], registry: Registry,
                 observations: list[PageObservation], parties: Parties,
                 now: float) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []

    def add(kind: str, cookie: str, detail: str, phase: str | None = None,
            url: str | None = None, set_by: str | None = None) -> None:
        findings.append({"kind": kind, "severity": SEVERITY[kind], "cookie": cookie,
                         "phase": phase, "url": url, "detail": detail, "set_by": set_by})

    for item in items:
        s = item.sighting
        label = f"{s.name}@{s.domain}"
        first_phase, _, first_url = s.first
        what = "storage key" if s.kind != "cookie" else "cookie"
        if item.entry is None:
            hint = (f"; the known-cookie database suggests {item.known.provider} "
                    f"({item.known.category})" if item.known is not None else "")
            add("undeclared", label, f"{s.kind} {s.name} on {s.domain} is not in the "
                f"registry{hint}", first_phase, first_url, s.set_by_url)
        for phase, kind in CONSENT_PHASES.items():
            if phase in s.phases and _non_necessary(item, registry):
                category = item.category or "unknown (third party)"
                state = "before any choice" if phase == "none" else "after the visitor refused"
                add(kind, label, f"{what} of category {category} present {state}",
                    phase, s.phases[phase][1], s.set_by_url)
        entry = item.entry
        if entry is not None and s.kind == "cookie" and s.expires is not None:
            lives = (s.expires - now) / 86400
            if entry.session and lives > 1:
                add("expiry_mismatch", label, f"declared as a session cookie, observed to live "
                    f"{lives:.0f} days", first_phase, first_url, s.set_by_url)
            elif entry.retention_days and lives > max(entry.retention_days * 1.25,
                                                      entry.retention_days + 1):
                add("expiry_mismatch", label, f"declared for {entry.retention_days:g} days, "
                    f"observed to live {lives:.0f} days", first_phase, first_url, s.set_by_url)
        if entry is not None and item.known is not None \
                and entry.category not in item.known.compatible:
            add("category_mismatch", label, f"declared as {entry.category}; the known-cookie "
                f"database files {item.known.provider}'s {s.name} as {item.known.category}",
                first_phase, first_url, s.set_by_url)
        if s.kind == "cookie" and not s.secure and (
                item.party == "third" or (s.same_site or "").lower() == "none"):
            reason = "a third-party cookie" if item.party == "third" else "SameSite=None"
            add("insecure", label, f"{reason} without the Secure flag"
                + (f" (the browser refused it: {s.blocked})" if s.blocked else ""),
                first_phase, first_url, s.set_by_url)
    matched = {id(i.entry) for i in items if i.entry is not None}
    for entry in registry.entries:
        if id(entry) not in matched:
            pattern = entry.name + ("*" if entry.match == "prefix" else "")
            add("stale", pattern, f"declared {entry.kind} {pattern}"
                + (f" on {entry.domain}" if entry.domain else "")
                + " was not seen on any page in any phase")
    for page in observations:
        consent_kind = CONSENT_PHASES.get(page.phase)
        if consent_kind is None:
            continue
        for request in page.requests:
            if request.beacon and not parties.is_first_party(request.host):
                add(consent_kind, request.host, f"beacon-like request to {request.host} "
                    + ("before any choice" if page.phase == "none"
                       else "after the visitor refused"), page.phase, page.url, request.url)
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for finding in findings:
        unique.setdefault((finding["kind"], finding["cookie"], finding["phase"]), finding)
    order = list(SEVERITY)
    return sorted(unique.values(), key=lambda f: (order.index(f["kind"]), f["cookie"]))


def cookie_json(item: Classified, now: float) -> dict[str, Any]:
    s = item.sighting
    phase, _, url = s.first
    known = item.known
    return {
        "name": s.name, "domain": s.domain, "path": s.path, "party": item.party, "kind": s.kind,
        "phases": [p for p in PHASES if p in s.phases],
        "first_seen": {"url": url, "phase": phase},
        "set_by": {"via": s.via, "url": s.set_by_url},
        "expires_days": None if s.expires is None else round((s.expires - now) / 86400, 2),
        "http_only": s.http_only, "secure": s.secure, "same_site": s.same_site,
        "declared": item.entry is not None,
        "registry_match": ({"name": item.entry.name, "match": item.entry.match}
                           if item.entry is not None else None),
        "category": item.category, "category_source": item.source,
        "suggestion": ({"provider": known.provider, "category": known.category,
                        "purpose": known.purpose, "retention_days": _retention_days(known)}
                       if known is not None else None),
        "blocked": s.blocked,
    }


def third_parties(observations: list[PageObservation], parties: Parties) -> list[dict[str, Any]]:
    hosts: dict[str, dict[str, Any]] = {}
    for page in observations:
        for request in page.requests:
            if not request.host or parties.is_first_party(request.host):
                continue
            entry = hosts.setdefault(request.host, {"host": request.host, "phases": set(),
                                                    "requests": 0, "beacons": 0})
            entry["phases"].add(page.phase)
            entry["requests"] += 1
            entry["beacons"] += int(request.beacon)
    return [{**h, "phases": [p for p in PHASES if p in h["phases"]]}
            for h in sorted(hosts.values(), key=lambda h: (-h["requests"], h["host"]))]


def build_report(observations: list[PageObservation], registry: Registry,
                 known: KnownCookies, parties: Parties, *, target: str, started_at: str,
                 finished_at: str, scanner_version: str, browser: str,
                 phases: tuple[str, ...], now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    items = [classify(s, registry, known, parties) for s in merge_sightings(observations)]
    per_phase = {p: {"ok": 0, "failed": 0} for p in phases}
    for page in observations:
        per_phase[page.phase]["failed" if page.error else "ok"] += 1
    return {
        "schema_version": 1, "target": target, "started_at": started_at,
        "finished_at": finished_at,
        "scanner": {"version": scanner_version, "browser": browser},
        "pages": [{"url": p.url, "phase": p.phase, "status": p.status, "error": p.error,
                   "depth": p.depth, "banner": p.banner} for p in observations],
        "cookies": [cookie_json(i, now) for i in items],
        "third_parties": third_parties(observations, parties),
        "findings": findings_for(items, registry, observations, parties, now),
        "coverage": {"pages_ok": sum(v["ok"] for v in per_phase.values()),
                     "pages_failed": sum(v["failed"] for v in per_phase.values()),
                     "phases": list(phases), "pages_per_phase": per_phase},
        "registry": {"site": registry.site or None, "entries": len(registry.entries)},
    }
