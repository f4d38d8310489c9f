"""Lifetimes as people write them, normalised to days."""

from __future__ import annotations

import pytest

from cookiegate.registry.retention import describe_days, parse_retention


@pytest.mark.parametrize(("text", "days", "session"), [
    ("session", None, True),
    ("Session", None, True),
    ("  browser   session ", None, True),
    ("1 year", 365.0, False),
    ("2 Years", 730.0, False),
    ("13 months", 395.4167, False),
    ("179 days", 179.0, False),
    ("1 day", 1.0, False),
    ("30 minutes", 0.0208, False),
    ("24 hours", 1.0, False),
    ("1 year and 6 months", 547.5, False),
    ("2 weeks", 14.0, False),
    ("400", 400.0, False),
    (400, 400.0, False),
    (0.5, 0.5, False),
    ("", None, False),
    (None, None, False),
])
def test_parse_retention(text: object, days: float | None, session: bool) -> None:
    retention = parse_retention(text)
    assert retention.days == days
    assert retention.session is session


@pytest.mark.parametrize("text", ["forever-ish", "10 fortnights", "-3", -1, True, "1 year later",
                                  ["1 year"]])
def test_unreadable_retention_says_why(text: object) -> None:
    with pytest.raises(ValueError, match=r"retention|unit"):
        parse_retention(text)


@pytest.mark.parametrize(("days", "label"), [(365, "1 year"), (730, "2 years"),
                                             (395.4167, "13 months"), (1, "1 day"),
                                             (14, "14 days"), (0.0208, "30 minutes"),
                                             (400, "400 days")])
def test_labels(days: float, label: str) -> None:
    assert describe_days(days) == label
