"""Registry files in and out: the `registry.json` export schema and a spreadsheet-friendly CSV.

Reading validates every row and reports all problems with their line (CSV) or entry
number (JSON) before anything is written, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cookiegate.errors import InvalidInput
from cookiegate.registry.matching import MATCH_KINDS, domain_covers, normalise_domain
from cookiegate.registry.retention import Retention, parse_retention

SCHEMA_VERSION = 1
KINDS = ("cookie", "localStorage", "sessionStorage", "indexedDB")
PARTIES = ("first", "third")
CSV_COLUMNS = ("name", "match", "domain", "party", "kind", "provider", "purpose", "category",
               "retention")
MAX_NAME = 255
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class EntryData:
    """One validated registry entry, independent of storage."""

    name: str
    match: str
    domain: str
    party: str
    kind: str
    provider: str
    purpose: str
    category: str
    retention: Retention

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.kind, self.name, self.match, self.domain)

    def as_export(self) -> dict[str, Any]:
        return {
            "name": self.name, "match": self.match, "domain": self.domain or None,
            "party": self.party, "kind": self.kind, "provider": self.provider,
            "purpose": self.purpose, "category": self.category,
            "retention_days": self.retention.days, "session": self.retention.session,
            "retention": self.retention.label(),
        }


def validate_entry(raw: Mapping[str, Any], categories: Sequence[str],
                   site_domains: Sequence[str]) -> EntryData:
    """Check one entry; raises ValueError naming the first problem."""
    unknown = set(raw) - set(CSV_COLUMNS) - {"retention_days", "session"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")

    def text(field: str, default: str = "", limit: int = 2000) -> str:
        value = raw.get(field)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ValueError(f"{field} must be text")
        value = value.strip()
        if len(value) > limit:
            raise ValueError(f"{field} is longer than {limit} characters")
        return value

    name = text("name", limit=MAX_NAME)
    if not name:
        raise ValueError("name is required")
    if any(ch in name for ch in "\r\n\t") and raw.get("match") != "regex":
        raise ValueError("name must not contain line breaks or tabs")
    match = text("match", "exact") or "exact"
    if match not in MATCH_KINDS:
        raise ValueError(f"match must be one of {', '.join(MATCH_KINDS)}, not {match!r}")
    if match == "regex":
        try:
            re.compile(name)
        except re.error as exc:
            raise ValueError(f"name is not a valid regular expression: {exc}") from None
    domain = normalise_domain(text("domain", limit=255))
    if domain and not _DOMAIN.match(domain):
        raise ValueError(f"domain {domain!r} is not a host name")
    kind = text("kind", "cookie") or "cookie"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    category = text("category", limit=40)
    if not category:
        raise ValueError("category is required")
    if category not in categories:
        raise ValueError(f"category {category!r} is not one of this site's categories "
                         f"({', '.join(categories)})")
    party = text("party", limit=5)
    if not party:
        first = not domain or any(domain_covers(normalise_domain(d), domain)
                                  or domain_covers(domain, normalise_domain(d))
                                  for d in site_domains)
        party = "first" if first else "third"
    if party not in PARTIES:
        raise ValueError(f"party must be first or third, not {party!r}")
    if "retention" in raw and raw["retention"] not in (None, ""):
        retention = parse_retention(raw["retention"])
    elif raw.get("session") is True:
        retention = parse_retention("session")
    else:
        retention = parse_retention(raw.get("retention_days"))
    return EntryData(name=name, match=match, domain=domain, party=party, kind=kind,
                     provider=text("provider", limit=200), purpose=text("purpose"),
                     category=category, retention=retention)


class _Broken(str):
    """A row the reader already knows is wrong; the text says why."""


def _collect(rows: Iterable[tuple[str, Any]], categories: Sequence[str],
             site_domains: Sequence[str]) -> list[EntryData]:
    """Validate every row and report every problem at once."""
    entries: list[EntryData] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str, str], str] = {}
    for where, raw in rows:
        if isinstance(raw, _Broken):
            problems.append(f"{where}: {raw}")
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: each entry must be an object")
            continue
        try:
            entry = validate_entry(raw, categories, site_domains)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if entry.identity in seen:
            problems.append(f"{where}: duplicates {seen[entry.identity]} ({entry.name!r})")
            continue
        seen[entry.identity] = where
        entries.append(entry)
    if problems:
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InvalidInput("the registry file has errors, nothing was imported:\n"
                           + "\n".join(shown) + more, code="invalid_registry")
    return entries


def read_registry_json(text: str, categories: Sequence[str],
                       site_domains: Sequence[str]) -> list[EntryData]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           code="invalid_registry") from None
    if isinstance(document, Mapping):
        version = document.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise InvalidInput(f"unsupported schema_version {version!r} (this CookieGate reads "
                               f"{SCHEMA_VERSION})", code="invalid_registry")
        document = document.get("entries")
    if not isinstance(document, list):
        raise InvalidInput('a registry JSON file is {"schema_version": 1, "entries": [...]} '
                           "or a list of entries", code="invalid_registry")
    rows = []
    for number, raw in enumerate(document, start=1):
        if isinstance(raw, Mapping) and ("retention_days" in raw or "session" in raw):
            # an export carries both; its "retention" is only a label derived from the days
            raw = {k: v for k, v in raw.items() if k != "retention"}
        rows.append((f"entry {number}", raw))
    return _collect(rows, categories, site_domains)


def read_registry_csv(text: str, categories: Sequence[str],
                      site_domains: Sequence[str]) -> list[EntryData]:
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "category" not in header:
        raise InvalidInput("line 1: the CSV header must name at least the columns name and "
                           f"category (known columns: {', '.join(CSV_COLUMNS)}, retention_days)",
                           code="invalid_registry")
    reader.fieldnames = header
    rows: list[tuple[str, Any]] = []
    try:
        for raw in reader:
            where = f"line {reader.line_num}"
            if None in raw:
                rows.append((where, _Broken("more cells than the header has columns")))
                continue
            cleaned: dict[str, Any] = {k: _csv_unescape(v or "") for k, v in raw.items() if k}
            if not any(v.strip() for v in cleaned.values()):
                continue
            days = cleaned.pop("retention_days", "").strip()
            if days:
                try:
                    cleaned["retention_days"] = float(days)
                except ValueError:
                    rows.append((where, _Broken(f"retention_days {days!r} is not a number")))
                    continue
            rows.append((where, cleaned))
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: {exc}", code="invalid_registry") from None
    return _collect(rows, categories, site_domains)


def write_registry_csv(entries: Iterable[EntryData]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        retention = _retention_cell(entry.retention)
        writer.writerow([_csv_safe(entry.name), entry.match, entry.domain, entry.party, entry.kind,
                         _csv_safe(entry.provider), _csv_safe(entry.purpose), entry.category,
                         retention])
    return out.getvalue()


def _retention_cell(retention: Retention) -> str:
    """Readable ("13 months") when that reads back to the same days, else exact days."""
    if retention.session:
        return "session"
    if retention.days is None:
        return ""
    label = retention.label()
    if parse_retention(label).days == retention.days:
        return label
    return f"{retention.days:.10g} days"


_FORMULA_START = ("=", "+", "-", "@")


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value
