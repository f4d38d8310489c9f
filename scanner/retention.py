"""Turn free-text cookie retention ("13 months", "Session", "1 Year", 400) into days or session.

Registries and the Open Cookie Database describe how long a cookie lives in prose. The scanner
compares that with the expiry it observes, so it needs one number: days, or "session cookie".
Anything it cannot read with confidence becomes ``None`` (unknown) instead of a guess, because
a wrong declared lifetime would produce false `expiry_mismatch` findings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DAYS_PER_MONTH = 30.4375  # 365.25 / 12: calendar months average out over leap years
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Retention:
    """How long a cookie lives: ``days`` (may be fractional) or ``session`` (until the browser
    closes, ``days`` is None)."""

    days: float | None
    session: bool

    @classmethod
    def for_session(cls) -> Retention:
        return cls(days=None, session=True)

    @classmethod
    def for_days(cls, days: float) -> Retention:
        return cls(days=float(days), session=False)


# Unit spellings seen in the database and in hand-written registries, in days per unit.
# A bare "m" is left out on purpose: it means minutes to some writers and months to others.
_UNIT_DAYS: dict[str, float] = {}
for _spellings, _days in (
    (("s", "sec", "secs", "second", "seconds"), 1 / 86400),
    (("min", "mins", "minute", "minutes"), 1 / 1440),
    (("h", "hr", "hrs", "hour", "hours"), 1 / 24),
    (("d", "day", "days"), 1.0),
    (("w", "wk", "wks", "week", "weeks"), 7.0),
    (("mo", "mos", "month", "months"), DAYS_PER_MONTH),
    (("y", "yr", "yrs", "year", "years"), DAYS_PER_YEAR),
):
    for _spelling in _spellings:
        _UNIT_DAYS[_spelling] = _days

# Longest spellings first so "months" is not read as "mo" followed by junk.
_UNIT_ALTERNATION = "|".join(sorted(_UNIT_DAYS, key=len, reverse=True))
_DURATION = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s*({_UNIT_ALTERNATION})\b")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# "Seesion" is a real typo in the database; "browser session" and "end of session" are how
# consent platforms phrase it.
_SESSION = re.compile(r"\b(?:sessions?|seesion)\b")

# Wording that makes a stated duration a lower bound ("1 hour or longer"): the real lifetime
# is unknown, and reporting the bound would flag every longer cookie as a mismatch.
_OPEN_ENDED = re.compile(r"\bor (?:longer|more)\b|\bat least\b|\bminimum\b|\+")


def parse_retention(text: str | int | float | None) -> Retention | None:
    """Read a retention period; ``None`` when it is empty, open-ended or not understood.

    Numbers are days. A text naming several durations ("Session to 30 days", "1 week to
    1 year", "14 days if Remember Me, otherwise session") gives the longest one: a declaration
    is an upper bound, and the scanner only asks whether a cookie outlives it.
    Never raises.
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return _from_number(float(text))
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        return None
    if _BARE_NUMBER.fullmatch(cleaned):
        return _from_number(float(cleaned))
    if _OPEN_ENDED.search(cleaned):
        return None
    durations = [float(amount) * _UNIT_DAYS[unit] for amount, unit in _DURATION.findall(cleaned)]
    if durations:
        return Retention.for_days(max(durations))
    if _SESSION.search(cleaned):
        return Retention.for_session()
    # "persistent", "forever", "varies", dates such as "10 Nov 2030", vendor names: unknown.
    return None


def _from_number(days: float) -> Retention | None:
    if math.isnan(days) or math.isinf(days) or days < 0:
        return None
    return Retention.for_days(days)
