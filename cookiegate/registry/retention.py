"""Turns the ways people write a cookie's lifetime ("13 months", "Session", 400) into days."""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS_PER_UNIT = {
    "second": 1 / 86400,
    "minute": 1 / 1440,
    "hour": 1 / 24,
    "day": 1.0,
    "week": 7.0,
    "month": 365 / 12,
    "year": 365.0,
}
UNIT_ALIASES = {
    "s": "second", "sec": "second", "secs": "second", "seconds": "second",
    "min": "minute", "mins": "minute", "minutes": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour", "hours": "hour",
    "d": "day", "days": "day",
    "w": "week", "weeks": "week",
    "mo": "month", "mos": "month", "months": "month",
    "y": "year", "yr": "year", "yrs": "year", "years": "year",
}
SESSION_WORDS = {"session", "browser session", "end of session", "until the browser is closed",
                 "until browser is closed", "when the browser is closed"}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")


@dataclass(frozen=True)
class Retention:
    """A lifetime: `session` (gone when the browser closes) or a number of days."""

    days: float | None
    session: bool = False

    def label(self) -> str:
        if self.session:
            return "session"
        if self.days is None:
            return "not stated"
        return describe_days(self.days)


SESSION = Retention(days=None, session=True)
UNSTATED = Retention(days=None)


def _days(value: float) -> Retention:
    if value < 0 or value != value or value == float("inf"):
        raise ValueError("retention must be a finite number of days, not negative")
    return Retention(days=round(value, 4))


def parse_retention(value: object) -> Retention:
    """Parse a lifetime; raises ValueError with a readable reason when it cannot."""
    if value is None or value == "":
        return UNSTATED
    if isinstance(value, bool):
        raise ValueError("retention must be a number of days or a text like '13 months'")
    if isinstance(value, int | float):
        return _days(float(value))
    if not isinstance(value, str):
        raise ValueError("retention must be a number of days or a text like '13 months'")
    text = " ".join(value.strip().lower().split())
    if text in SESSION_WORDS:
        return SESSION
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        pass
    else:
        return _days(number)
    total = 0.0
    position = 0
    found = False
    for part in _PART.finditer(text):
        between = text[position:part.start()].strip(" ,")
        if between not in ("", "and"):
            break
        unit = part.group(2)
        singular = unit.rstrip("s")
        unit = UNIT_ALIASES.get(unit, singular if singular in DAYS_PER_UNIT else unit)
        if unit not in DAYS_PER_UNIT:
            raise ValueError(f"unknown unit {part.group(2)!r} in retention {value!r}")
        total += float(part.group(1).replace(",", ".")) * DAYS_PER_UNIT[unit]
        position = part.end()
        found = True
    if not found or text[position:].strip(" ,."):
        raise ValueError(
            f"cannot read retention {value!r}: write 'session', a number of days, "
            "or a duration such as '13 months' or '1 year'"
        )
    return Retention(days=round(total, 4))


def describe_days(days: float) -> str:
    """A human label for a number of days, as a cookie policy would print it."""
    for unit, size in (("year", 365.0), ("month", 365 / 12), ("day", 1.0), ("hour", 1 / 24),
                       ("minute", 1 / 1440)):
        count = days / size
        if count >= 1 and abs(count - round(count)) < 0.02:
            count_int = round(count)
            return f"{count_int} {unit}{'' if count_int == 1 else 's'}"
    if days >= 1:
        return f"{round(days)} days"
    return f"{round(days * 1440)} minutes"
