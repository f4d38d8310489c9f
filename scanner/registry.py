"""Read a site's registry export (`registry.json`) and tell which declared entry a cookie is.

The CookieGate service publishes every cookie and storage key a site declares as JSON (SPEC
"Registry export"); the scanner reads it from a file or an http(s) URL and never talks to the
service's code. Matching picks the most specific declaration, so a site can declare `_ga_`
as a prefix and still describe one `_ga_XYZ` cookie on its own.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
MATCH_TYPES = ("exact", "prefix", "regex")
FETCH_TIMEOUT_SECONDS = 10.0

_REQUIRED_TOP_KEYS = ("schema_version", "site", "domains", "categories", "entries")
# Descriptive fields may be blank in a hand-written registry; these three decide matching.
_REQUIRED_ENTRY_KEYS = ("name", "match", "category")
# Lower rank is more specific: an exact name says more than a prefix, a prefix more than a regex.
_MATCH_RANK = {"exact": 0, "prefix": 1, "regex": 2}


class RegistryError(Exception):
    """The registry could not be read or does not follow the export schema."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bare_domain(domain: str | None) -> str | None:
    """A cookie domain in comparable form: lower case, no leading dot, no trailing dot."""
    if domain is None:
        return None
    cleaned = domain.strip().lower().lstrip(".").rstrip(".")
    return cleaned or None


def domain_covers(rule_domain: str | None, cookie_domain: str | None) -> bool:
    """Whether a declaration for `rule_domain` applies to a cookie set on `cookie_domain`:
    the same host or one of its subdomains (`.doubleclick.net` covers `ad.doubleclick.net`)."""
    rule, cookie = bare_domain(rule_domain), bare_domain(cookie_domain)
    if rule is None or cookie is None:
        return False
    return cookie == rule or cookie.endswith("." + rule)


@dataclass(frozen=True)
class RegistryEntry:
    """One declared cookie or storage key, as exported by the service.

    `domain` is kept in comparable form (see `bare_domain`); a session cookie has
    `session=True` and `retention_days=None`.
    """

    name: str
    match: str
    domain: str | None
    party: str
    kind: str
    provider: str
    purpose: str
    category: str
    retention_days: float | None
    session: bool = False

    @property
    def label(self) -> str:
        """How the declaration reads in a report: `_ga_*` for a prefix."""
        return self.name + "*" if self.match == "prefix" else self.name

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key, smallest first: match type, then longer pattern, then a (longer) domain."""
        domain_length = len(self.domain) if self.domain else -1
        return (_MATCH_RANK[self.match], -len(self.name), 0 if self.domain else 1, -domain_length)


class Registry:
    """A site's declared cookies; `match` finds the declaration that covers an observed name."""

    def __init__(self, site: str, domains: list[str], categories: dict[str, bool],
                 entries: list[RegistryEntry]) -> None:
        self.site = site
        self.domains = domains
        self.categories = categories
        self.entries = entries
        # Matching runs once per observed cookie, so the patterns are indexed up front:
        # exact names by (kind, name), prefixes by (kind, length, prefix), regexes compiled.
        self._exact: dict[tuple[str, str], list[RegistryEntry]] = {}
        self._prefixes: dict[tuple[str, int, str], list[RegistryEntry]] = {}
        self._prefix_lengths: dict[str, list[int]] = {}
        self._regexes: list[tuple[RegistryEntry, re.Pattern[str]]] = []
        for entry in entries:
            self._index(entry)
        # Longest first, so the first prefix that matches is the most specific one.
        self._prefix_lengths = {kind: sorted(set(lengths), reverse=True)
                                for kind, lengths in self._prefix_lengths.items()}

    def _index(self, entry: RegistryEntry) -> None:
        if entry.match == "exact":
            self._exact.setdefault((entry.kind, entry.name), []).append(entry)
        elif entry.match == "prefix":
            key = (entry.kind, len(entry.name), entry.name)
            self._prefixes.setdefault(key, []).append(entry)
            self._prefix_lengths.setdefault(entry.kind, []).append(len(entry.name))
        else:
            self._regexes.append((entry, re.compile(entry.name)))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def empty(cls) -> Registry:
        """No registry given: nothing is declared, and the default categories apply."""
        defaults = {"necessary": True, "preferences": False, "analytics": False,
                    "marketing": False}
        return cls(site="", domains=[], categories=defaults, entries=[])

    @classmethod
    def load(cls, source: str) -> Registry:
        """Read an export from a file path or an http(s) URL; `RegistryError` says what is wrong."""
        if source.lower().startswith(("http://", "https://")):
            text = _fetch(source)
        else:
            text = _read_file(source)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise RegistryError(
                f"registry {source} is not valid JSON: {error.msg} at line {error.lineno} "
                f"column {error.colno}") from error
        return cls.from_document(document, source=source)

    @classmethod
    def from_document(cls, document: Any, source: str = "document") -> Registry:
        """Build a registry from an already parsed export (what `load` does after reading)."""
        if not isinstance(document, Mapping):
            raise RegistryError(f"registry {source} must be a JSON object with "
                                f"{', '.join(_REQUIRED_TOP_KEYS)}")
        missing = [key for key in _REQUIRED_TOP_KEYS if key not in document]
        if missing:
            raise RegistryError(f"registry {source} is missing key(s): {', '.join(missing)}")
        version = document["schema_version"]
        if version != SCHEMA_VERSION or isinstance(version, bool):
            raise RegistryError(f"registry {source} has unsupported schema_version {version!r} "
                                f"(this scanner reads {SCHEMA_VERSION})")
        site = document["site"]
        if not isinstance(site, str):
            raise RegistryError(f"registry {source}: site must be a string, not {site!r}")
        domains = document["domains"]
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise RegistryError(f"registry {source}: domains must be a list of strings")
        categories = _read_categories(document["categories"], source)
        raw_entries = document["entries"]
        if not isinstance(raw_entries, list):
            raise RegistryError(f"registry {source}: entries must be a list")
        entries = [_read_entry(raw, index, source) for index, raw in enumerate(raw_entries)]
        return cls(site=site, domains=list(domains), categories=categories, entries=entries)

    # -- questions ------------------------------------------------------------------------------

    def match(self, name: str, domain: str | None, kind: str = "cookie") -> RegistryEntry | None:
        """The most specific declaration covering a `kind` named `name` seen on `domain`.

        Exact beats prefix beats regex; then the longer pattern; then an entry restricted to a
        domain (the longer domain first) over one that applies everywhere.
        """
        candidates = [entry for entry in self._exact.get((kind, name), ())
                      if _applies(entry, domain)]
        if not candidates:
            candidates = self._longest_prefix(name, domain, kind)
        if not candidates:
            candidates = [entry for entry, pattern in self._regexes
                          if entry.kind == kind and _applies(entry, domain)
                          and pattern.fullmatch(name)]
        if not candidates:
            return None
        # min() keeps the first of equals, so declaration order breaks the remaining ties.
        return min(candidates, key=RegistryEntry.specificity)

    def _longest_prefix(self, name: str, domain: str | None, kind: str) -> list[RegistryEntry]:
        for length in self._prefix_lengths.get(kind, ()):
            if length > len(name):
                continue
            found = [entry for entry in self._prefixes.get((kind, length, name[:length]), ())
                     if _applies(entry, domain)]
            if found:
                return found
        return []

    def is_necessary(self, category: str) -> bool:
        """Whether a category is always on. A category the registry does not list counts as
        necessary only when it is the default set's `necessary` key, so an export that omits
        its categories does not turn every session cookie into a consent violation."""
        return self.categories.get(category, category == "necessary")


def _applies(entry: RegistryEntry, domain: str | None) -> bool:
    return entry.domain is None or domain_covers(entry.domain, domain)


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            payload: bytes = response.read()
    except urllib.error.HTTPError as error:
        raise RegistryError(f"could not fetch registry {url}: HTTP {error.code} "
                            f"{error.reason}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryError(f"could not fetch registry {url}: {reason}") from error
    return _decode(payload, url)


def _read_file(path: str) -> str:
    file = Path(path)
    if not file.exists():
        raise RegistryError(f"registry file not found: {path}")
    if not file.is_file():
        raise RegistryError(f"registry path is not a file: {path}")
    try:
        payload = file.read_bytes()
    except OSError as error:
        raise RegistryError(f"could not read registry file {path}: {error.strerror}") from error
    return _decode(payload, path)


def _decode(payload: bytes, source: str) -> str:
    try:
        # utf-8-sig: exports saved by spreadsheet tools on Windows start with a byte-order mark.
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegistryError(f"registry {source} is not UTF-8 text") from error


def _read_categories(raw: Any, source: str) -> dict[str, bool]:
    if not isinstance(raw, list):
        raise RegistryError(f"registry {source}: categories must be a list of "
                            '{"key": ..., "necessary": ...} objects')
    categories: dict[str, bool] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            raise RegistryError(f"registry {source}: category {index} has no string key")
        necessary = item.get("necessary", False)
        if not isinstance(necessary, bool):
            raise RegistryError(f"registry {source}: category {index} ({item['key']!r}): "
                                f"necessary must be true or false, not {necessary!r}")
        categories[item["key"]] = necessary
    return categories


def _read_entry(raw: Any, index: int, source: str) -> RegistryEntry:
    if not isinstance(raw, Mapping):
        raise RegistryError(f"registry {source}: entry {index} must be an object")
    name = raw.get("name")
    where = f"registry {source}: entry {index} ({name!r})"
    missing = [key for key in _REQUIRED_ENTRY_KEYS if key not in raw]
    if missing:
        raise RegistryError(f"{where}: missing key(s): {', '.join(missing)}")
    if not isinstance(name, str) or not name:
        raise RegistryError(f"{where}: name must be a non-empty string")
    if not isinstance(raw["category"], str) or not raw["category"]:
        raise RegistryError(f"{where}: category must be a non-empty string")
    match = raw["match"]
    if match not in MATCH_TYPES:
        raise RegistryError(f"{where}: unknown match type {match!r} "
                            f"(expected one of: {', '.join(MATCH_TYPES)})")
    if match == "prefix" and name.endswith("*") and len(name) > 1:
        # People write prefixes the way reports show them (`_ga_*`); the star is not a character
        # of the cookie name.
        name = name[:-1]
    if match == "regex":
        try:
            re.compile(name)
        except re.error as error:
            raise RegistryError(f"{where}: invalid regex: {error}") from error
    text_fields = {key: _text(raw, key, where) for key in
                   ("party", "kind", "provider", "purpose", "category")}
    domain = raw.get("domain")
    if domain is not None and not isinstance(domain, str):
        raise RegistryError(f"{where}: domain must be a string or null, not {domain!r}")
    days, session = _read_retention(raw, where)
    return RegistryEntry(
        name=name, match=match, domain=bare_domain(domain), party=text_fields["party"],
        kind=text_fields["kind"] or "cookie", provider=text_fields["provider"],
        purpose=text_fields["purpose"], category=text_fields["category"],
        retention_days=days, session=session)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {key} must be a string, not {value!r}")
    return value


def _read_retention(raw: Mapping[str, Any], where: str) -> tuple[float | None, bool]:
    days = raw.get("retention_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int | float)
                             or not math.isfinite(days) or days < 0):
        raise RegistryError(f"{where}: retention_days must be a non-negative number or null, "
                            f"not {days!r}")
    session = raw.get("session")
    if session is None:
        # Older exports mark a session cookie only by leaving retention_days empty.
        session = days is None
    if not isinstance(session, bool):
        raise RegistryError(f"{where}: session must be true or false, not {session!r}")
    if session:
        return None, True
    return (float(days) if days is not None else None), False
