"""The registry matcher: which entry declares a cookie, most specific first."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cookiegate.registry.matching import RegistryMatcher, match_registry_entry


@dataclass(frozen=True)
class E:
    name: str
    match: str = "exact"
    domain: str | None = None
    kind: str = "cookie"


GA = E("_ga")
GA_PREFIX = E("_ga_", "prefix")
G_PREFIX = E("_g", "prefix")
IDE = E("IDE", domain="doubleclick.net")
IDE_ANY = E("IDE")
UTM = E(r"__utm[a-z]", "regex")
YT_REGEX = E(r"VISITOR_.*", "regex", "youtube.com")
LS = E("_ga", kind="localStorage")
ALL = [GA, GA_PREFIX, G_PREFIX, IDE, UTM, YT_REGEX, LS]


@pytest.mark.parametrize(("name", "domain", "kind", "expected"), [
    ("_ga", "example.com", "cookie", GA),                # exact beats both prefixes
    ("_ga_ABC123", "example.com", "cookie", GA_PREFIX),  # longest prefix wins
    ("_gid", "example.com", "cookie", G_PREFIX),         # shorter prefix still matches
    ("_ga_", None, "cookie", GA_PREFIX),                 # the bare prefix itself
    ("ga", None, "cookie", None),                        # no partial match from the other end
    ("_GA", None, "cookie", None),                       # names are case-sensitive
    ("IDE", "doubleclick.net", "cookie", IDE),
    ("IDE", ".doubleclick.net", "cookie", IDE),          # leading dot of a cookie domain
    ("IDE", "ad.doubleclick.net", "cookie", IDE),        # subdomain
    ("IDE", "notdoubleclick.net", "cookie", None),       # not a label boundary
    ("IDE", "example.com", "cookie", None),              # wrong domain
    ("IDE", None, "cookie", None),                       # domain-bound entry needs a domain
    ("__utma", None, "cookie", UTM),                     # regex full match
    ("__utmaa", None, "cookie", None),                   # regex must match the whole name
    ("x__utma", None, "cookie", None),
    ("VISITOR_INFO1_LIVE", "www.youtube.com", "cookie", YT_REGEX),
    ("VISITOR_INFO1_LIVE", "example.com", "cookie", None),
    ("_ga", None, "localStorage", LS),                   # kinds are kept apart
    ("_ga_X", None, "localStorage", None),
])
def test_most_specific_entry_wins(name: str, domain: str | None, kind: str,
                                  expected: E | None) -> None:
    assert match_registry_entry(ALL, name, domain, kind) is expected


def test_domain_specific_entry_beats_generic_one_of_same_name() -> None:
    matcher = RegistryMatcher([IDE_ANY, IDE])
    assert matcher.match("IDE", "doubleclick.net") is IDE
    assert matcher.match("IDE", "example.com") is IDE_ANY


def test_narrower_domain_wins_among_equal_prefixes() -> None:
    broad = E("_pk_", "prefix", "example.com")
    narrow = E("_pk_", "prefix", "shop.example.com")
    matcher = RegistryMatcher([broad, narrow])
    assert matcher.match("_pk_id.1", "shop.example.com") is narrow
    assert matcher.match("_pk_id.1", "blog.example.com") is broad


def test_exact_beats_prefix_and_regex_regardless_of_order() -> None:
    regex = E(r"_ga.*", "regex")
    for order in ([regex, GA_PREFIX, GA], [GA, regex, GA_PREFIX]):
        assert match_registry_entry(order, "_ga") is GA
    assert match_registry_entry([regex, GA_PREFIX], "_ga_1") is GA_PREFIX
    assert match_registry_entry([regex], "_gaX") is regex


def test_unknown_match_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown match"):
        RegistryMatcher([E("x", "glob")])


def test_empty_registry_declares_nothing() -> None:
    assert match_registry_entry([], "_ga") is None
