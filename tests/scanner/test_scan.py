"""The scanner against the fixture marketing site, in real Chromium: every behaviour the site
has must show up as exactly the report entry it should."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from scanner.crawl import ScanOptions
from scanner.registry import Registry
from scanner.report import validate_report
from scanner.scan import scan
from tests.fixture_sites import https_server, tls_context
from tests.scanner.fixture_site import REGISTRY, scanner_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOST_RULES = "MAP *.test 127.0.0.1"


def path(url: str | None) -> str | None:
    """A URL without the test's random port: host and path (and query)."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with https_server(scanner_site(), tls_context(), "www.shop.test") as served:
        yield served.url


@pytest.fixture(scope="module")
def report(site: str, browser: Any) -> dict[str, Any]:
    options = ScanOptions(urls=[f"{site}/"], max_pages=10, concurrency=2, host_rules=HOST_RULES,
                          ignore_https_errors=True, page_timeout=4, settle=1.5)
    progress: list[tuple[str, int, int]] = []
    result = scan(options, Registry.from_document(REGISTRY),
                  lambda phase, done, total: progress.append((phase, done, total)))
    assert progress[-1][0] == "accept" and progress[-1][1] == 8
    return result


def cookies(report: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(c["kind"], c["name"], c["domain"]): c for c in report["cookies"]}


def findings(report: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {(f["kind"], f["cookie"], f["phase"]) for f in report["findings"]}


def test_report_is_valid_and_covers_every_page_in_every_phase(report: dict[str, Any]) -> None:
    validate_report(report)
    by_phase: dict[str, list[tuple[str | None, int, str | None]]] = {}
    for page in report["pages"]:
        by_phase.setdefault(page["phase"], []).append((path(page["url"]), page["depth"],
                                                       page["error"]))
    expected = sorted([
        ("www.shop.test/", 0, None),
        ("www.shop.test/hidden", 1, None),  # only the sitemap names it
        ("www.shop.test/about", 1, None),  # ?sessionid=123 is the same page
        ("www.shop.test/calendar?month=1", 1, None),
        ("www.shop.test/calendar?month=2", 2, None),
        ("www.shop.test/calendar?month=3", 3, None),  # the trap ends here: 3 of one shape
        ("www.shop.test/slow", 1, "Page.goto: Timeout 4000ms exceeded."),
        ("www.shop.test/out", 1, "redirected off-site to https://elsewhere.test"),
    ])
    for phase in ("none", "reject", "accept"):
        seen = sorted((p, d, e.split(":", 1)[0] + ":" + e.split(":", 1)[1].rsplit(":", 1)[0]
                       if e and e.startswith("redirected") else e)
                      for p, d, e in by_phase[phase])
        assert seen == expected, phase
    assert report["coverage"]["pages_per_phase"] == {
        phase: {"ok": 6, "failed": 2} for phase in ("none", "reject", "accept")}
    banners = {p["phase"]: p["banner"] for p in report["pages"] if p["banner"]}
    assert banners == {"none": "by-text", "reject": "by-text", "accept": "by-text"}


def test_cookies_with_party_phases_and_what_set_them(report: dict[str, Any]) -> None:
    found = {key: (c["party"], c["phases"], c["set_by"]["via"], path(c["set_by"]["url"]),
                   c["category"], c["category_source"], c["declared"])
             for key, c in cookies(report).items()}
    all3 = ["none", "reject", "accept"]
    assert found == {
        # first-party cookies from headers and from scripts
        ("cookie", "PHPSESSID", "www.shop.test"): (
            "first", all3, "http", "www.shop.test/", "necessary", "registry", True),
        ("cookie", "cart_id", "www.shop.test"): (
            "first", all3, "http", "www.shop.test/", "necessary", "registry", True),
        ("cookie", "late_cookie", "www.shop.test"): (  # written 0.8 s after load
            "first", all3, "js", "www.shop.test/banner.js", None, "none", False),
        ("cookie", "hidden_pref", "www.shop.test"): (
            "first", all3, "http", "www.shop.test/hidden", None, "none", False),
        # a third-party script writing onto the site's own domain, named as the writer
        ("cookie", "_fbp", "www.shop.test"): (
            "first", all3, "js", "connect.tracker.test/fbevents.js", "marketing", "known-db",
            False),
        # a third-party ad cookie from a cross-site iframe, and from a pixel response
        ("cookie", "IDE", "ads.test"): (
            "third", all3, "http", "ads.test/frame", "marketing", "registry", True),
        ("cookie", "px_ad", "pixel.test"): (
            "third", all3, "http", "pixel.test/p.gif?e=view", None, "none", False),
        ("cookie", "uid", "pixel.test"): (
            "third", all3, "http", "pixel.test/p.gif?e=view", "marketing", "known-db", False),
        # the consent cookie and a tag that ignores refusal: only once a choice is made
        ("cookie", "fixture_consent", "www.shop.test"): (
            "first", ["reject", "accept"], "js", "www.shop.test/banner.js", "necessary",
            "registry", True),
        ("cookie", "_clck", "www.shop.test"): (
            "first", ["reject", "accept"], "js", "www.shop.test/banner.js", "preferences",
            "registry", True),
        # only after acceptance; the dynamic name matched by the _ga_ prefix entry
        ("cookie", "_ga", "www.shop.test"): (
            "first", ["accept"], "js", "www.shop.test/banner.js", "analytics", "registry", True),
        ("cookie", "_ga_ABC123", "www.shop.test"): (
            "first", ["accept"], "js", "www.shop.test/banner.js", "analytics", "registry", True),
        ("localStorage", "ls_key", "www.shop.test"): (
            "first", all3, "unknown", None, "preferences", "registry", True),
        ("sessionStorage", "ss_key", "www.shop.test"): (
            "first", all3, "unknown", None, None, "none", False),
        ("indexedDB", "fixture_db", "www.shop.test"): (
            "first", all3, "unknown", None, None, "none", False),
    }
    jar = cookies(report)
    assert jar[("cookie", "_ga_ABC123", "www.shop.test")]["registry_match"] == {
        "name": "_ga_", "match": "prefix"}
    uid = jar[("cookie", "uid", "pixel.test")]
    assert uid["blocked"] == "SameSiteNoneInsecure" and uid["secure"] is False
    assert uid["suggestion"]["provider"] == "Adform"
    assert jar[("cookie", "IDE", "ads.test")]["blocked"] is None
    assert jar[("cookie", "IDE", "ads.test")]["secure"] is True
    assert jar[("cookie", "PHPSESSID", "www.shop.test")]["expires_days"] is None
    assert 364 < jar[("cookie", "cart_id", "www.shop.test")]["expires_days"] <= 365
    # nothing from the off-site page the /out link redirects to
    assert not any(c["domain"] == "elsewhere.test" for c in report["cookies"])


def test_findings_with_their_evidence(report: dict[str, Any]) -> None:
    assert findings(report) == {
        ("pre_consent", "IDE@ads.test", "none"),
        ("pre_consent", "_fbp@www.shop.test", "none"),
        ("pre_consent", "ls_key@www.shop.test", "none"),
        ("pre_consent", "px_ad@pixel.test", "none"),
        ("pre_consent", "uid@pixel.test", "none"),
        ("pre_consent", "pixel.test", "none"),  # the beacon itself
        ("ignored_refusal", "IDE@ads.test", "reject"),
        ("ignored_refusal", "_fbp@www.shop.test", "reject"),
        ("ignored_refusal", "_clck@www.shop.test", "reject"),
        ("ignored_refusal", "ls_key@www.shop.test", "reject"),
        ("ignored_refusal", "px_ad@pixel.test", "reject"),
        ("ignored_refusal", "uid@pixel.test", "reject"),
        ("ignored_refusal", "pixel.test", "reject"),
        ("undeclared", "_fbp@www.shop.test", "none"),
        ("undeclared", "hidden_pref@www.shop.test", "none"),
        ("undeclared", "late_cookie@www.shop.test", "none"),
        ("undeclared", "px_ad@pixel.test", "none"),
        ("undeclared", "ss_key@www.shop.test", "none"),
        ("undeclared", "fixture_db@www.shop.test", "none"),
        ("category_mismatch", "_clck@www.shop.test", "reject"),
        ("undeclared", "uid@pixel.test", "none"),
        ("expiry_mismatch", "cart_id@www.shop.test", "none"),
        ("insecure", "uid@pixel.test", "none"),
        ("stale", "old_cookie", None),
    }
    by_key = {(f["kind"], f["cookie"]): f for f in report["findings"]}
    clarity = by_key[("ignored_refusal", "_clck@www.shop.test")]
    assert (path(clarity["url"]), path(clarity["set_by"]), clarity["severity"]) == (
        "www.shop.test/", "www.shop.test/banner.js", "high")
    fbp = by_key[("pre_consent", "_fbp@www.shop.test")]
    assert path(fbp["set_by"]) == "connect.tracker.test/fbevents.js"
    assert "declared for 1 days, observed to live 365 days" in by_key[
        ("expiry_mismatch", "cart_id@www.shop.test")]["detail"]
    assert "SameSiteNoneInsecure" in by_key[("insecure", "uid@pixel.test")]["detail"]
    assert by_key[("category_mismatch", "_clck@www.shop.test")]["detail"] == (
        "declared as preferences; the known-cookie database files Microsoft's _clck as "
        "analytics")


def test_third_parties_and_beacons(report: dict[str, Any]) -> None:
    assert {(t["host"], tuple(t["phases"]), t["requests"], t["beacons"])
            for t in report["third_parties"]} == {
        ("ads.test", ("none", "reject", "accept"), 3, 0),
        ("connect.tracker.test", ("none", "reject", "accept"), 3, 0),
        ("pixel.test", ("none", "reject", "accept"), 3, 3),
    }


# --- the command line -----------------------------------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.headers.get("Authorization", ""), json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("cookiegate-scan")), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def test_cli_writes_every_report_pushes_and_fails_on_request(site: str, tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps(REGISTRY))
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        result = cli(f"{site}/", "--registry", str(registry), "--phases", "none",
                     "--max-pages", "1", "--no-sitemap", "--host-rules", HOST_RULES,
                     "--ignore-https-errors", "--settle", "1", "--json", str(tmp_path / "r.json"),
                     "--html", str(tmp_path / "r.html"), "--junit", str(tmp_path / "r.xml"),
                     "--push", f"http://127.0.0.1:{receiver.server_port}/api/v1/sites/shop/scans",
                     "--token", "t0k3n", "--fail-on", "pre_consent,insecure")
    finally:
        receiver.shutdown()
    assert result.returncode == 1, result.stderr
    assert "page visits ok" in result.stderr and "\r" not in result.stderr  # quiet: not a TTY
    written = json.loads((tmp_path / "r.json").read_text())
    assert [p["phase"] for p in written["pages"]] == ["none"]
    assert ("pre_consent", "_fbp@www.shop.test", "none") in findings(written)
    html = (tmp_path / "r.html").read_text()
    assert html.index("_fbp") < html.index("PHPSESSID")  # findings come before the table
    suites = ElementTree.parse(tmp_path / "r.xml").getroot()
    expected_failures = sum(f["kind"] in ("pre_consent", "insecure")
                            for f in written["findings"])
    assert int(suites.get("failures") or 0) == expected_failures > 0
    assert _Receiver.received[-1][0] == "Bearer t0k3n"
    assert _Receiver.received[-1][1]["findings"] == written["findings"]


def test_cli_exit_codes_for_clean_runs_and_bad_input(site: str, tmp_path: Path) -> None:
    ok = cli(f"{site}/about", "--phases", "none", "--max-pages", "1", "--no-sitemap",
             "--host-rules", HOST_RULES, "--ignore-https-errors", "--settle", "0.5",
             "--json", "-", "--fail-on", "expiry_mismatch")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["schema_version"] == 1
    bad_registry = tmp_path / "bad.json"
    bad_registry.write_text("{not json")
    result = cli(f"{site}/", "--registry", str(bad_registry))
    assert result.returncode == 2 and "bad.json" in result.stderr
    assert cli(f"{site}/", "--phases", "none,later").returncode == 2
    assert cli(f"{site}/", "--fail-on", "everything").returncode == 2
    assert cli("ftp://example.test/").returncode == 2
    unreachable = cli("https://nowhere.test:1/", "--phases", "none", "--no-sitemap",
                      "--host-rules", HOST_RULES, "--page-timeout", "3", "--settle", "0")
    assert unreachable.returncode == 2 and "no page could be loaded" in unreachable.stderr


def test_cli_without_a_browser_says_what_to_install(site: str, tmp_path: Path) -> None:
    import os

    env = {**os.environ, "COOKIEGATE_CHROMIUM": str(tmp_path / "no-such-chromium")}
    command = [str(Path(sys.executable).with_name("cookiegate-scan")), f"{site}/",
               "--phases", "none", "--no-sitemap"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "the scan could not run" in result.stderr and "Is Chromium installed?" in result.stderr
    assert "Traceback" not in result.stderr
