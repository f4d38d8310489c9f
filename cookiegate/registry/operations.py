"""Reading and changing a site's registry: list, import (merge or replace), export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cookiegate.registry.models import RegistryEntry
from cookiegate.registry.retention import Retention
from cookiegate.registry.transfer import SCHEMA_VERSION, EntryData


def list_entries(session: Session, site_id: int) -> list[RegistryEntry]:
    return list(session.scalars(
        select(RegistryEntry).where(RegistryEntry.site_id == site_id)
        .order_by(RegistryEntry.category, RegistryEntry.name, RegistryEntry.id)))


def entry_data(entry: RegistryEntry) -> EntryData:
    return EntryData(name=entry.name, match=entry.match, domain=entry.domain or "",
                     party=entry.party, kind=entry.kind, provider=entry.provider,
                     purpose=entry.purpose, category=entry.category,
                     retention=Retention(days=entry.retention_days, session=entry.session))


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.removed} removed")


def _apply(entry: RegistryEntry, data: EntryData) -> None:
    entry.name, entry.match, entry.domain = data.name, data.match, data.domain
    entry.kind = data.kind
    entry.party, entry.provider, entry.purpose = data.party, data.provider, data.purpose
    entry.category = data.category
    entry.retention_days, entry.session = data.retention.days, data.retention.session


def import_entries(session: Session, site_id: int, entries: Sequence[EntryData],
                   replace: bool = False) -> ImportSummary:
    """Merge entries into the registry by (kind, name, match, domain); `replace` drops the rest."""
    summary = ImportSummary()
    existing = {entry_data(e).identity: e for e in list_entries(session, site_id)}
    incoming = {e.identity for e in entries}
    for data in entries:
        current = existing.get(data.identity)
        if current is None:
            row = RegistryEntry(site_id=site_id)
            _apply(row, data)
            session.add(row)
            summary.added += 1
        elif entry_data(current) == data:
            summary.unchanged += 1
        else:
            _apply(current, data)
            summary.updated += 1
    if replace:
        for identity, row in existing.items():
            if identity not in incoming:
                session.delete(row)
                summary.removed += 1
    session.flush()
    return summary


def export_registry(site_key: str, domains: Sequence[str],
                    categories: Sequence[Mapping[str, Any]],
                    entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `registry.json` document the scanner reads; entries in their export form."""
    return {
        "schema_version": SCHEMA_VERSION,
        "site": site_key,
        "domains": list(domains),
        "categories": [{"key": c["key"], "necessary": bool(c["necessary"])} for c in categories],
        "entries": [dict(e) for e in entries],
    }
