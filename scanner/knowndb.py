"""The bundled Open Cookie Database: who sets a cookie, why, and which consent category it is.

When a scan finds a cookie the site's registry does not declare, the report suggests a provider,
purpose and category from this community list (jkwakman/Open-Cookie-Database, Apache-2.0; see
`scanner/data/open-cookie-database/NOTICE`). The CSV ships inside the package so a scan never
downloads anything.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from scanner.registry import bare_domain, domain_covers
from scanner.retention import Retention, parse_retention

DATA_PACKAGE = "scanner"
DATA_PATH = ("data", "open-cookie-database", "open-cookie-database.csv")

# Prefix rows shorter than this (`SR`, `_s`, `tp`, `P_`) start too many unrelated cookie names;
# they only count when the cookie sits on the row's own domain.
MIN_FREE_PREFIX = 4

# The database's category -> (our category key, categories a declaration may use without
# contradicting it). "Functional" also admits "necessary" because the database files many
# strictly necessary cookies (session ids, consent state) under Functional.
_CATEGORY_MAP: dict[str, tuple[str, tuple[str, ...]]] = {
    "necessary": ("necessary", ("necessary",)),
    "security": ("necessary", ("necessary",)),
    "functional": ("preferences", ("necessary", "preferences")),
    "personalization": ("preferences", ("preferences",)),
    "analytics": ("analytics", ("analytics",)),
    "marketing": ("marketing", ("marketing",)),
}

_PARENTHESISED = re.compile(r"\([^)]*\)")
_SEPARATORS = re.compile(r"[\s,;]+")
_CONNECTORS = {"or", "and"}


@dataclass(frozen=True)
class KnownCookie:
    """One row of the database, with its category translated to CookieGate's keys."""

    name: str
    prefix: bool
    platform: str
    provider: str
    purpose: str
    db_category: str
    category: str
    compatible: tuple[str, ...]
    domain: str | None
    retention: Retention | None


def clean_domain(text: str) -> str | None:
    """The database's free-text domain as a bare host: `adform.net (3rd party)` -> `adform.net`,
    `.go.sonobi.com` -> `go.sonobi.com`, `ads-[account].adhese.com` -> `adhese.com`, `` -> None."""
    # Some rows list alternatives ("x.com (3rd party) or y.com"); the first host is kept.
    words = [word for word in _SEPARATORS.split(_PARENTHESISED.sub(" ", text).lower())
             if word and word not in _CONNECTORS]
    if not words:
        return None
    host = words[0]
    host = host.split("://", 1)[-1].split("/", 1)[0]
    labels = host.split(".")
    # A placeholder label ("[account]") stands for any customer: keep what follows it.
    placeholders = [i for i, label in enumerate(labels) if "[" in label or "*" in label]
    if placeholders:
        labels = labels[placeholders[-1] + 1:]
    return bare_domain(".".join(labels))


def known_cookie_from_row(row: dict[str, str]) -> KnownCookie | None:
    """Translate one CSV row; None for a row without a name or with an unmapped category
    (better no suggestion than a guessed category)."""
    name = (row.get("Cookie / Data Key name") or "").strip()
    db_category = (row.get("Category") or "").strip()
    mapped = _CATEGORY_MAP.get(db_category.lower())
    if not name or mapped is None:
        return None
    category, compatible = mapped
    platform = (row.get("Platform") or "").strip()
    return KnownCookie(
        name=name,
        prefix=(row.get("Wildcard match") or "").strip() == "1",
        platform=platform,
        provider=(row.get("Data Controller") or "").strip() or platform,
        purpose=(row.get("Description") or "").strip(),
        db_category=db_category,
        category=category,
        compatible=compatible,
        domain=clean_domain(row.get("Domain") or ""),
        retention=parse_retention(row.get("Retention period")),
    )


class KnownCookies:
    """The database, indexed for `suggest`, which runs once per cookie a scan finds."""

    def __init__(self, cookies: Iterable[KnownCookie]) -> None:
        self.cookies: tuple[KnownCookie, ...] = tuple(cookies)
        # Every row by its literal name: a prefix row also names a cookie exactly.
        self._by_name: dict[str, list[KnownCookie]] = {}
        # Prefix rows by length, then by the prefix itself, so a lookup is one dict probe per
        # distinct prefix length (a few dozen) rather than a scan of every prefix row.
        self._prefixes_by_length: dict[int, dict[str, list[KnownCookie]]] = {}
        for cookie in self.cookies:
            self._by_name.setdefault(cookie.name, []).append(cookie)
            if cookie.prefix:
                same_length = self._prefixes_by_length.setdefault(len(cookie.name), {})
                same_length.setdefault(cookie.name, []).append(cookie)
        self._lengths_longest_first = sorted(self._prefixes_by_length, reverse=True)

    def __len__(self) -> int:
        return len(self.cookies)

    @classmethod
    def bundled(cls) -> KnownCookies:
        """The database shipped with the scanner, read once per process."""
        return _load_bundled()

    @classmethod
    def from_csv(cls, text: str) -> KnownCookies:
        """Read the database's CSV format (header row as upstream publishes it)."""
        rows = csv.DictReader(io.StringIO(text))
        return cls(cookie for cookie in map(known_cookie_from_row, rows) if cookie is not None)

    def suggest(self, name: str, cookie_domain: str | None = None) -> KnownCookie | None:
        """What the database knows about a cookie called `name` set on `cookie_domain`.

        A row with exactly this name first (the one on the cookie's domain when several share
        the name); otherwise the longest prefix row the name starts with. Prefixes shorter than
        `MIN_FREE_PREFIX` characters need the cookie to be on the row's domain.
        """
        if not name:
            return None
        found = self._pick(self._by_name.get(name, ()), cookie_domain)
        if found is not None:
            return found
        for length in self._lengths_longest_first:
            if length >= len(name):
                # Equal length is the exact-name case, already tried above.
                continue
            rows = self._prefixes_by_length[length].get(name[:length], ())
            found = self._pick(rows, cookie_domain)
            if found is not None:
                return found
        return None

    @staticmethod
    def _pick(rows: Iterable[KnownCookie], cookie_domain: str | None) -> KnownCookie | None:
        usable = [row for row in rows if _usable(row, cookie_domain)]
        for row in usable:
            if domain_covers(row.domain, cookie_domain):
                return row
        return usable[0] if usable else None


def _usable(row: KnownCookie, cookie_domain: str | None) -> bool:
    if row.prefix and len(row.name) < MIN_FREE_PREFIX:
        return domain_covers(row.domain, cookie_domain)
    return True


@lru_cache(maxsize=1)
def _load_bundled() -> KnownCookies:
    resource = resources.files(DATA_PACKAGE)
    for part in DATA_PATH:
        resource = resource.joinpath(part)
    return KnownCookies.from_csv(resource.read_text(encoding="utf-8"))
