"""Which registry entry declares this cookie? A pure function over entries, no database.

Entries match a cookie name `exact`ly, by `prefix` (for dynamic names such as `_ga_<id>`)
or by a full-match `regex`; an entry with a `domain` only matches cookies on that domain
or its subdomains. When several entries match, the most specific wins: an exact name beats
a prefix, a prefix beats a regex; then the longer pattern, then the longer (narrower) domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

MATCH_KINDS = ("exact", "prefix", "regex")
_RANK = {"exact": 3, "prefix": 2, "regex": 1}


class Declaration(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def match(self) -> str: ...
    @property
    def domain(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


E = TypeVar("E", bound=Declaration)


def normalise_domain(domain: str | None) -> str:
    return (domain or "").strip().lower().lstrip(".").rstrip(".")


def domain_covers(entry_domain: str, cookie_domain: str) -> bool:
    """True when `cookie_domain` is `entry_domain` or one of its subdomains."""
    return cookie_domain == entry_domain or cookie_domain.endswith("." + entry_domain)


@dataclass(frozen=True)
class _Prepared(Generic[E]):
    entry: E
    match: str
    name: str
    domain: str
    kind: str
    pattern: re.Pattern[str] | None

    def rank(self) -> tuple[int, int, int]:
        return (_RANK[self.match], len(self.name), len(self.domain))


class RegistryMatcher(Generic[E]):
    """Entries prepared once (regexes compiled) for many look-ups."""

    def __init__(self, entries: Iterable[E]) -> None:
        self._exact: dict[tuple[str, str], list[_Prepared[E]]] = {}
        self._patterns: list[_Prepared[E]] = []
        for entry in entries:
            match = entry.match or "exact"
            if match not in _RANK:
                raise ValueError(f"unknown match {match!r} for {entry.name!r}")
            prepared = _Prepared(
                entry=entry, match=match, name=entry.name, domain=normalise_domain(entry.domain),
                kind=entry.kind or "cookie",
                pattern=re.compile(entry.name) if match == "regex" else None,
            )
            if match == "exact":
                self._exact.setdefault((prepared.kind, entry.name), []).append(prepared)
            else:
                self._patterns.append(prepared)
        self._patterns.sort(key=_Prepared.rank, reverse=True)

    def match(self, name: str, domain: str | None = None, kind: str = "cookie") -> E | None:
        """The most specific entry declaring `name` on `domain`, or None.

        With no domain given, only entries without a domain restriction can match.
        """
        cookie_domain = normalise_domain(domain)
        candidates = [p for p in self._exact.get((kind, name), ()) if self._fits(p, cookie_domain)]
        if candidates:
            return max(candidates, key=_Prepared.rank).entry
        for prepared in self._patterns:  # already most specific first
            if prepared.kind != kind or not self._fits(prepared, cookie_domain):
                continue
            if prepared.match == "prefix":
                if name.startswith(prepared.name) and name != "":
                    return prepared.entry
            elif prepared.pattern is not None and prepared.pattern.fullmatch(name):
                return prepared.entry
        return None

    @staticmethod
    def _fits(prepared: _Prepared[E], cookie_domain: str) -> bool:
        if not prepared.domain:
            return True
        return bool(cookie_domain) and domain_covers(prepared.domain, cookie_domain)


def match_registry_entry(
    entries: Iterable[E], name: str, domain: str | None = None, kind: str = "cookie"
) -> E | None:
    """One-off look-up; build a `RegistryMatcher` to look up many names."""
    return RegistryMatcher(entries).match(name, domain, kind)
