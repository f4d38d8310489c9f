"""The scanner's pure data modules: retention text, the bundled cookie database, registry export.

No browser here; the only network use is a loopback http.server serving a registry export.
"""

from __future__ import annotations

import csv
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.knowndb import KnownCookies, clean_domain
from scanner.registry import Registry, RegistryEntry, RegistryError, domain_covers
from scanner.retention import Retention, parse_retention

BUNDLED_CSV = (Path(__file__).resolve().parents[2] / "scanner" / "data"
               / "open-cookie-database" / "open-cookie-database.csv")

YEAR = 365.25
MONTH = 30.4375

# -- retention ----------------------------------------------------------------------------------

RETENTION_CASES: list[tuple[str | int | float | None, Retention | None]] = [
    ("session", Retention(None, True)),
    ("Session", Retention(None, True)),
    ("Sessions", Retention(None, True)),
    ("Session cookie", Retention(None, True)),
    ("End of session (browser)", Retention(None, True)),
    ("Seesion", Retention(None, True)),
    ("1 year", Retention(YEAR, False)),
    ("1 Year", Retention(YEAR, False)),
    ("1 year ", Retention(YEAR, False)),
    ("2 years", Retention(2 * YEAR, False)),
    ("2 year", Retention(2 * YEAR, False)),
    ("13 months", Retention(13 * MONTH, False)),
    ("6 Months", Retention(6 * MONTH, False)),
    ("400 days", Retention(400.0, False)),
    ("1 day", Retention(1.0, False)),
    ("0 days", Retention(0.0, False)),
    ("30 minutes", Retention(30 / 1440, False)),
    ("30 mins", Retention(30 / 1440, False)),
    ("1 hour", Retention(1 / 24, False)),
    ("24 hours", Retention(1.0, False)),
    ("2 weeks", Retention(14.0, False)),
    ("1 minute", Retention(1 / 1440, False)),
    ("10 seconds", Retention(10 / 86400, False)),
    ("90 sec", Retention(90 / 86400, False)),
    ("1440 Minutes", Retention(1.0, False)),
    ("1.5 years", Retention(1.5 * YEAR, False)),
    ("400", Retention(400.0, False)),
    (400, Retention(400.0, False)),
    (0.5, Retention(0.5, False)),
    ("2 years after last activity", Retention(2 * YEAR, False)),
    ("13 months by default, modifiable", Retention(13 * MONTH, False)),
    ("1 year (in some countries, the period may be longer)", Retention(YEAR, False)),
    # Ranges and alternatives give the upper bound: a declaration is a maximum.
    ("Session to 30 days", Retention(30.0, False)),
    ("1 week to 1 year", Retention(YEAR, False)),
    ("30 minutes, 3w or 1y depending on value", Retention(YEAR, False)),
    ("persistent", None),
    ("Persistent", None),
    ("forever", None),
    ("Unknown", None),
    ("Local Storage", None),
    ("1 hour or longer", None),
    ("10 Nov 2030", None),
    ("Awin", None),
    ("", None),
    ("   ", None),
    (None, None),
    (-3, None),
    (float("nan"), None),
    (True, None),
    ("5 m", None),
]


@pytest.mark.parametrize(("text", "expected"), RETENTION_CASES)
def test_parse_retention(text: str | int | float | None, expected: Retention | None) -> None:
    result = parse_retention(text)
    if expected is None or expected.days is None:
        assert result == expected
    else:
        assert result is not None
        assert result.session is False
        assert result.days == pytest.approx(expected.days)


def test_parse_retention_never_raises_on_odd_input() -> None:
    odd: list[Any] = [object(), ["1 year"], b"1 year", "1 year " * 1000, "\x00", "9" * 400]
    results = [parse_retention(value) for value in odd]
    assert results[:3] == [None, None, None]
    assert results[3] == Retention(YEAR, False)  # every duration is a year: the max is one
    assert results[4] is None
    assert results[5] is None  # overflows to infinity: not a usable number of days


def test_most_database_retention_texts_parse() -> None:
    with BUNDLED_CSV.open(encoding="utf-8", newline="") as handle:
        texts = [row["Retention period"] for row in csv.DictReader(handle)]
    parsed = sum(parse_retention(text) is not None for text in texts)
    assert len(texts) == 2264
    assert parsed == 2208


# -- known-cookie database ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def known() -> KnownCookies:
    return KnownCookies.bundled()


def test_bundled_database_loads_every_row_once(known: KnownCookies) -> None:
    assert len(known) == 2264
    assert KnownCookies.bundled() is known
    assert sum(cookie.prefix for cookie in known.cookies) == 260


def test_exact_name(known: KnownCookies) -> None:
    ga = known.suggest("_ga")
    assert ga is not None
    assert (ga.name, ga.prefix, ga.platform, ga.provider) == ("_ga", False, "Google Analytics",
                                                               "Google")
    assert (ga.db_category, ga.category, ga.compatible) == ("Analytics", "analytics",
                                                            ("analytics",))
    assert ga.retention == Retention(2 * YEAR, False)
    assert ga.domain is None


def test_prefix_row(known: KnownCookies) -> None:
    found = known.suggest("_ga_ABC123")
    assert found is not None
    assert (found.name, found.prefix, found.category) == ("_ga_", True, "analytics")


def test_longest_prefix_wins(known: KnownCookies) -> None:
    gtag = known.suggest("_gat_gtag_UA_1234_1")
    plain = known.suggest("_gat_UA-1234")
    assert gtag is not None and plain is not None
    assert (gtag.name, plain.name) == ("_gat_gtag_", "_gat")
    piwik = known.suggest("_pk_id.1.ab12")
    assert piwik is not None
    assert (piwik.name, piwik.platform) == ("_pk_id.", "Piwik")


def test_marketing_cookie_on_its_domain(known: KnownCookies) -> None:
    ide = known.suggest("IDE", ".doubleclick.net")
    assert ide is not None
    assert (ide.provider, ide.category, ide.domain) == ("Google", "marketing", "doubleclick.net")


def test_short_prefix_needs_the_rows_domain(known: KnownCookies) -> None:
    # `SR` (Adform, adform.net) is a 2-character prefix row: it would claim every SR... name.
    assert known.suggest("SR_visit") is None
    assert known.suggest("SR_visit", "example.com") is None
    assert known.suggest("SR_visit", "notadform.net") is None
    on_adform = known.suggest("SR_visit", "track.adform.net")
    assert on_adform is not None
    assert (on_adform.name, on_adform.provider, on_adform.category) == ("SR", "Adform",
                                                                         "marketing")
    dotted = known.suggest("SR_visit", ".ADFORM.net")
    assert dotted is not None and dotted.name == "SR"


def test_shared_name_prefers_the_cookies_domain(known: KnownCookies) -> None:
    # `tp` is an exact Bombora row and a short Tailtarget prefix row.
    anywhere = known.suggest("tp")
    tailtarget = known.suggest("tp", "x.t.tailtarget.com")
    assert anywhere is not None and tailtarget is not None
    assert (anywhere.platform, anywhere.prefix) == ("Bombora", False)
    assert (tailtarget.platform, tailtarget.prefix) == ("Tailtarget", True)
    # `u` appears three times; with no domain match the first row wins.
    first_u = known.suggest("u", "example.org")
    creative = known.suggest("u", "creativecdn.com")
    assert first_u is not None and creative is not None
    assert (first_u.platform, creative.platform) == ("Totvs", "CreativeCDN")


def test_functional_rows_admit_necessary(known: KnownCookies) -> None:
    session = known.suggest("PHPSESSID")
    assert session is not None
    assert session.db_category == "Functional"
    assert session.category == "preferences"
    assert session.compatible == ("necessary", "preferences")
    assert session.retention == Retention(None, True)


def test_unknown_name(known: KnownCookies) -> None:
    assert known.suggest("cg_totally_unknown_cookie_name") is None
    assert known.suggest("") is None


def test_domain_cleaning() -> None:
    assert clean_domain("adform.net (3rd party)") == "adform.net"
    assert clean_domain("") is None
    assert clean_domain(".go.sonobi.com (3rd party)") == "go.sonobi.com"
    assert clean_domain(".bing.com (3rd party) or .microsoft.com (3rd party)") == "bing.com"
    assert clean_domain(" or 207.net (3rd party)") == "207.net"
    assert clean_domain("ads-[account].adhese.com") == "adhese.com"


def test_category_mapping_from_csv() -> None:
    header = ("ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,"
              "Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n")
    rows = [
        "1,Shop,Security,csrf,,Anti forgery,session,,,0",
        "2,Shop,Necessary,sid,,Session,1 day,Shop Inc,,0",
        "3,Shop,Personalization,theme,,Theme,1 year,Shop Inc,,0",
        "4,Shop,Marketing,ads_,x.example (3rd party),Ads,30 days,Ads Inc,,1",
        "5,Shop,Mystery,odd,,Unmapped category,1 day,,,0",
        "6,Shop,Analytics,,,No name,1 day,,,0",
    ]
    db = KnownCookies.from_csv(header + "\n".join(rows) + "\n")
    assert len(db) == 4
    csrf, sid, theme = db.suggest("csrf"), db.suggest("sid"), db.suggest("theme")
    ads = db.suggest("ads_123", "cdn.x.example")
    assert csrf is not None and sid is not None and theme is not None and ads is not None
    assert (csrf.category, csrf.compatible, csrf.provider) == ("necessary", ("necessary",),
                                                               "Shop")
    assert (sid.category, sid.provider) == ("necessary", "Shop Inc")
    assert (theme.category, theme.compatible) == ("preferences", ("preferences",))
    assert (ads.category, ads.domain, ads.retention) == ("marketing", "x.example",
                                                         Retention(30.0, False))
    assert db.suggest("odd") is None


# -- registry -----------------------------------------------------------------------------------

def _entry(name: str, match: str = "exact", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name, "match": match, "domain": None, "party": "first", "kind": "cookie",
        "provider": "Example", "purpose": "Testing", "category": "analytics",
        "retention_days": 30, "session": False, "retention": "30 days",
    }
    base.update(fields)
    return base


EXPORT: dict[str, Any] = {
    "schema_version": 1,
    "site": "shop",
    "domains": ["shop.example", "www.shop.example"],
    "categories": [
        {"key": "necessary", "necessary": True}, {"key": "preferences", "necessary": False},
        {"key": "analytics", "necessary": False}, {"key": "marketing", "necessary": False},
    ],
    "entries": [
        _entry("PHPSESSID", category="necessary", provider="Shop", retention_days=None,
               session=True, retention="session"),
        _entry("_ga", provider="Google Analytics", retention_days=730.5),
        _entry("_ga_", "prefix", provider="Google Analytics", retention_days=730.5),
        _entry("_ga_SPECIAL", provider="Google Analytics (special)", retention_days=1),
        _entry("_g", "prefix", provider="Short prefix"),
        _entry("_gat_gtag_", "prefix", provider="Google tag"),
        _entry(r"_hj[A-Z]\w+", "regex", provider="Hotjar"),
        _entry(r"_hjSession\w*", "regex", provider="Hotjar sessions"),
        _entry("IDE", domain="doubleclick.net", party="third", category="marketing",
               provider="Google DoubleClick", retention_days=395.6875),
        _entry("IDE", domain=".ads.doubleclick.net", party="third", category="marketing",
               provider="DoubleClick ads host"),
        _entry("IDE", provider="Generic IDE"),
        _entry("cart", kind="localStorage", category="necessary", provider="Shop",
               retention_days=None, session=False),
        _entry("legacy", category="preferences", retention_days=None, session=None),
    ],
}


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(EXPORT), encoding="utf-8")
    return path


@pytest.fixture
def registry(registry_file: Path) -> Registry:
    return Registry.load(str(registry_file))


def _provider(registry: Registry, name: str, domain: str | None = None,
              kind: str = "cookie") -> str | None:
    found = registry.match(name, domain, kind)
    return found.provider if found is not None else None


def test_load_from_file(registry: Registry) -> None:
    assert registry.site == "shop"
    assert registry.domains == ["shop.example", "www.shop.example"]
    assert registry.categories == {"necessary": True, "preferences": False, "analytics": False,
                                   "marketing": False}
    assert len(registry.entries) == 13
    assert registry.entries[0] == RegistryEntry(
        name="PHPSESSID", match="exact", domain=None, party="first", kind="cookie",
        provider="Shop", purpose="Testing", category="necessary", retention_days=None,
        session=True)
    assert registry.entries[1].retention_days == 730.5
    assert registry.entries[2].label == "_ga_*"
    assert registry.entries[9].domain == "ads.doubleclick.net"  # leading dot dropped


def test_session_from_null_retention_days(registry: Registry) -> None:
    legacy = registry.match("legacy", "shop.example")
    assert legacy is not None
    assert (legacy.session, legacy.retention_days) == (True, None)
    cart = registry.match("cart", "shop.example", "localStorage")
    assert cart is not None
    assert (cart.session, cart.retention_days) == (False, None)


def test_exact_beats_prefix(registry: Registry) -> None:
    assert _provider(registry, "_ga") == "Google Analytics"
    assert _provider(registry, "_ga_SPECIAL") == "Google Analytics (special)"
    found = registry.match("_ga_ABC123", "shop.example")
    assert found is not None
    assert (found.name, found.match, found.provider) == ("_ga_", "prefix", "Google Analytics")


def test_longer_prefix_beats_shorter(registry: Registry) -> None:
    assert _provider(registry, "_gat_gtag_UA_1") == "Google tag"
    assert _provider(registry, "_gat_UA_1") == "Short prefix"
    assert _provider(registry, "_gid") == "Short prefix"


def test_regex_fullmatch_and_longer_pattern(registry: Registry) -> None:
    assert _provider(registry, "_hjSessionUser_123") == "Hotjar sessions"
    assert _provider(registry, "_hjAbsoluteSessionInProgress") == "Hotjar"
    # fullmatch: a trailing character outside \w does not match either pattern
    assert _provider(registry, "_hjTest-1") is None
    assert _provider(registry, "x_hjTest") is None


def test_prefix_beats_regex() -> None:
    reg = Registry.from_document({**EXPORT, "entries": [
        _entry(r"_g\w+", "regex", provider="regex"), _entry("_g", "prefix", provider="prefix")]})
    assert _provider(reg, "_gid") == "prefix"


def test_domain_restricted_entries(registry: Registry) -> None:
    assert _provider(registry, "IDE", ".doubleclick.net") == "Google DoubleClick"
    assert _provider(registry, "IDE", "stats.DoubleClick.net") == "Google DoubleClick"
    # the narrower (longer) domain wins over the wider one
    assert _provider(registry, "IDE", ".ads.doubleclick.net") == "DoubleClick ads host"
    assert _provider(registry, "IDE", "x.ads.doubleclick.net") == "DoubleClick ads host"
    # not a subdomain: only the entry without a domain applies
    assert _provider(registry, "IDE", "notdoubleclick.net") == "Generic IDE"
    assert _provider(registry, "IDE", None) == "Generic IDE"


def test_domain_only_entry_needs_a_domain() -> None:
    reg = Registry.from_document({**EXPORT, "entries": [
        _entry("IDE", domain="doubleclick.net", provider="DoubleClick")]})
    assert _provider(reg, "IDE", None) is None
    assert _provider(reg, "IDE", "doubleclick.net.evil.example") is None
    assert _provider(reg, "IDE", "DOUBLECLICK.NET") == "DoubleClick"


def test_kind_must_match(registry: Registry) -> None:
    assert _provider(registry, "cart", "shop.example") is None
    assert _provider(registry, "cart", "shop.example", "localStorage") == "Shop"
    assert _provider(registry, "_ga", "shop.example", "sessionStorage") is None


def test_prefix_written_with_a_star() -> None:
    reg = Registry.from_document({**EXPORT, "entries": [_entry("_ga_*", "prefix")]})
    assert reg.entries[0].name == "_ga_"
    found = reg.match("_ga_XYZ", None)
    assert found is not None and found.label == "_ga_*"


def test_is_necessary(registry: Registry) -> None:
    assert registry.is_necessary("necessary") is True
    assert registry.is_necessary("analytics") is False
    assert registry.is_necessary("unlisted") is False
    empty = Registry.empty()
    assert (empty.entries, empty.site, empty.domains) == ([], "", [])
    assert empty.match("_ga", "shop.example") is None
    assert empty.is_necessary("necessary") is True
    assert empty.is_necessary("marketing") is False


def test_domain_covers() -> None:
    assert domain_covers(".Example.com", "www.example.COM") is True
    assert domain_covers("example.com", "example.com.") is True
    assert domain_covers("example.com", "badexample.com") is False
    assert domain_covers(None, "example.com") is False


# -- registry errors ----------------------------------------------------------------------------

def _load_document(tmp_path: Path, document: Any) -> Registry:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return Registry.load(str(path))


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(RegistryError) as caught:
        Registry.load(str(missing))
    assert caught.value.message == f"registry file not found: {missing}"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="registry path is not a file"):
        Registry.load(str(tmp_path))


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text("{\"schema_version\": 1,\n oops}", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        Registry.load(str(path))
    assert caught.value.message == (f"registry {path} is not valid JSON: Expecting property "
                                    "name enclosed in double quotes at line 2 column 2")


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"must be a JSON object with schema_version, site"):
        _load_document(tmp_path, [EXPORT])


def test_wrong_schema_version(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, {**EXPORT, "schema_version": 2})
    assert caught.value.message.endswith("has unsupported schema_version 2 "
                                         "(this scanner reads 1)")


def test_missing_top_level_keys(tmp_path: Path) -> None:
    document = {key: value for key, value in EXPORT.items() if key not in ("domains", "entries")}
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, document)
    assert caught.value.message.endswith("is missing key(s): domains, entries")


def test_entry_missing_keys(tmp_path: Path) -> None:
    broken = {"name": "_fbp", "domain": None}
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, {**EXPORT, "entries": [_entry("_ga"), broken]})
    assert caught.value.message.endswith("entry 1 ('_fbp'): missing key(s): match, category")


def test_entry_unknown_match_type(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, {**EXPORT, "entries": [_entry("_ga"), _entry("_g*", "glob")]})
    assert caught.value.message.endswith(
        "entry 1 ('_g*'): unknown match type 'glob' (expected one of: exact, prefix, regex)")


def test_entry_invalid_regex(tmp_path: Path) -> None:
    entries = [_entry("_ga"), _entry("ok", "prefix"), _entry("_hj(Session", "regex")]
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, {**EXPORT, "entries": entries})
    assert caught.value.message.endswith(
        "entry 2 ('_hj(Session'): invalid regex: missing ), unterminated subpattern at "
        "position 3")


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("retention_days", "400", "retention_days must be a non-negative number or null, not '400'"),
    ("retention_days", -1, "retention_days must be a non-negative number or null, not -1"),
    ("session", "yes", "session must be true or false, not 'yes'"),
    ("domain", 7, "domain must be a string or null, not 7"),
    ("provider", ["Google"], "provider must be a string, not ['Google']"),
    ("category", "", "category must be a non-empty string"),
    ("name", "", "name must be a non-empty string"),
])
def test_entry_bad_field(tmp_path: Path, field: str, value: Any, problem: str) -> None:
    entry = {**_entry("_ga"), field: value}
    with pytest.raises(RegistryError) as caught:
        _load_document(tmp_path, {**EXPORT, "entries": [entry]})
    assert caught.value.message.endswith(f"entry 0 ({entry['name']!r}): {problem}")


def test_bad_categories(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"category 1 \('analytics'\): necessary must be"):
        _load_document(tmp_path, {**EXPORT, "categories": [
            {"key": "necessary", "necessary": True}, {"key": "analytics", "necessary": "no"}]})


# -- registry over HTTP -------------------------------------------------------------------------

class _RegistryHandler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def registry_server() -> Iterator[str]:
    _RegistryHandler.routes = {
        "/registry.json": (200, json.dumps(EXPORT).encode("utf-8")),
        "/bom.json": (200, b"\xef\xbb\xbf" + json.dumps(EXPORT).encode("utf-8")),
        "/html": (200, b"<html>login</html>"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RegistryHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_load_over_http(registry_server: str) -> None:
    loaded = Registry.load(registry_server + "/registry.json")
    assert loaded.site == "shop"
    assert len(loaded.entries) == 13
    assert _provider(loaded, "_ga_XYZ") == "Google Analytics"
    with_bom = Registry.load(registry_server + "/bom.json")
    assert with_bom.domains == ["shop.example", "www.shop.example"]


def test_http_errors(registry_server: str) -> None:
    with pytest.raises(RegistryError) as caught:
        Registry.load(registry_server + "/missing.json")
    assert caught.value.message == (f"could not fetch registry {registry_server}/missing.json: "
                                    "HTTP 404 Not Found")
    with pytest.raises(RegistryError, match=r"/html is not valid JSON: Expecting value"):
        Registry.load(registry_server + "/html")


def test_unreachable_url() -> None:
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    with pytest.raises(RegistryError, match=r"could not fetch registry http://127\.0\.0\.1:9/"):
        Registry.load("http://127.0.0.1:9/registry.json")
