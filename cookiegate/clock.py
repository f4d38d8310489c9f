"""Server time: every stored timestamp is naive UTC, written the same way everywhere."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(moment: datetime) -> str:
    """ISO 8601 with microseconds and a Z, stable across SQLite and PostgreSQL round trips."""
    return moment.isoformat(timespec="microseconds") + "Z"  # several times faster than strftime
