"""The long-lived parts of a running CookieGate, built once from its configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cookiegate.consent.ledger import Ledger, LedgerKeys
from cookiegate.consent.tokens import ConsentTokens
from cookiegate.database import Database
from cookiegate.sites.operations import PublishedSites


def key_list(value: Any) -> list[str]:
    """Keys from config: a list, or one string with comma-separated keys (newest first)."""
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    return [str(k) for k in value or []]


@dataclass
class Runtime:
    database: Database
    ledger: Ledger
    tokens: ConsentTokens
    published: PublishedSites

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Runtime:
        database = Database(config["DATABASE_URL"])
        return cls(
            database=database,
            ledger=Ledger(database.engine, LedgerKeys(key_list(config["LEDGER_KEYS"]))),
            tokens=ConsentTokens(key_list(config["SECRET_KEYS"])),
            published=PublishedSites(database.session, ttl=float(config["CONFIG_CACHE_SECONDS"])),
        )
