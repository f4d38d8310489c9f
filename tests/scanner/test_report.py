"""The scanner's report writers: schema validation, JSON, HTML for people and JUnit for CI."""

from __future__ import annotations

import copy
import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.report import (
    FINDING_KINDS,
    KIND_EXPLANATIONS,
    MAX_PROBLEMS,
    SCHEMA_VERSION,
    ReportError,
    load_schema,
    render_html,
    render_junit,
    validate_report,
    write_json,
)

SHOP = "https://shop.test"
MALICIOUS = "<img src=x onerror=alert(1)>"
FAIL_ON = {"pre_consent", "ignored_refusal", "undeclared"}


def _cookie(name: str, domain: str, **overrides: Any) -> dict[str, Any]:
    cookie: dict[str, Any] = {
        "name": name, "domain": domain, "path": "/", "party": "first", "kind": "cookie",
        "phases": ["none", "reject", "accept"],
        "first_seen": {"url": f"{SHOP}/", "phase": "none"},
        "set_by": {"via": "http", "url": f"{SHOP}/"},
        "expires_days": None, "http_only": False, "secure": True, "same_site": "Lax",
        "declared": False, "registry_match": None, "category": None, "category_source": "none",
        "suggestion": None, "blocked": None,
    }
    cookie.update(overrides)
    return cookie


def _finding(kind: str, severity: str, cookie: str, phase: str | None, url: str | None,
             detail: str, set_by: str | None) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "cookie": cookie, "phase": phase, "url": url,
            "detail": detail, "set_by": set_by}


def sample_report() -> dict[str, Any]:
    """A shop scanned in all three phases, with one finding of every kind and one failed page."""
    ga_js = "https://analytics.test/ga.js"
    gtag = "https://ads.test/gtag.js?id=AW-1"
    pixel = "https://ads.test/pixel.gif?ev=view"
    pages = [
        {"url": f"{SHOP}/", "phase": phase, "status": 200, "error": None, "depth": 0,
         "banner": "cookiegate"}
        for phase in ("none", "reject", "accept")
    ] + [
        {"url": f"{SHOP}/products?page=2", "phase": "none", "status": 200, "error": None,
         "depth": 1, "banner": "cookiegate"},
        {"url": f"{SHOP}/slow", "phase": "accept", "status": None,
         "error": "Timeout 30000ms exceeded while loading the page", "depth": 1, "banner": None},
    ]
    cookies = [
        _cookie("PHPSESSID", "shop.test", http_only=True,
                declared=True, registry_match={"name": "PHPSESSID", "match": "exact"},
                category="necessary", category_source="registry"),
        _cookie("_ga", ".shop.test", set_by={"via": "js", "url": ga_js}, expires_days=730.0,
                declared=True, registry_match={"name": "_ga", "match": "exact"},
                category="analytics", category_source="registry"),
        _cookie("_fbp", ".shop.test", phases=["accept"],
                first_seen={"url": f"{SHOP}/", "phase": "accept"},
                set_by={"via": "js", "url": "https://connect.facebook.test/fbevents.js"},
                expires_days=90.0, declared=True,
                registry_match={"name": "_fb", "match": "prefix"}, category="analytics",
                category_source="registry",
                suggestion={"provider": "Meta", "category": "marketing",
                            "purpose": "Ad delivery and measurement", "retention_days": 90}),
        _cookie("_gcl_au", ".shop.test", phases=["accept"],
                first_seen={"url": f"{SHOP}/", "phase": "accept"},
                set_by={"via": "js", "url": gtag}, expires_days=90.0,
                category="marketing", category_source="known-db",
                suggestion={"provider": "Google Ads", "category": "marketing",
                            "purpose": "Conversion tracking", "retention_days": 90}),
        _cookie("IDE", ".ads.test", party="third", phases=["none", "accept"],
                set_by={"via": "http", "url": pixel}, expires_days=390.0, http_only=True,
                secure=False, same_site="None", category="marketing",
                category_source="known-db",
                suggestion={"provider": "DoubleClick", "category": "marketing",
                            "purpose": "Ad targeting", "retention_days": 390}),
        _cookie("vid_session", "video.test", party="third", phases=["accept"],
                first_seen={"url": f"{SHOP}/", "phase": "accept"},
                set_by={"via": "http", "url": "https://video.test/embed/42"}, secure=False,
                same_site="None", blocked="SameSite=None without the Secure attribute"),
        _cookie("ab_variant", "shop.test", kind="localStorage", phases=["accept"],
                first_seen={"url": f"{SHOP}/", "phase": "accept"},
                set_by={"via": "js", "url": f"{SHOP}/static/ab.js"}, http_only=None,
                secure=None, same_site=None),
    ]
    findings = [
        _finding("pre_consent", "high", "_ga@.shop.test", "none", f"{SHOP}/",
                 "analytics cookie set before any choice", ga_js),
        _finding("pre_consent", "high", "ads.test", "none", f"{SHOP}/products?page=2",
                 "beacon-like request to ads.test before any choice", pixel),
        _finding("ignored_refusal", "high", "_ga@.shop.test", "reject", f"{SHOP}/",
                 "analytics cookie set after the visitor refused", ga_js),
        _finding("undeclared", "medium", "_gcl_au@.shop.test", "accept", f"{SHOP}/",
                 "not in the registry; known as Google Ads (marketing)", gtag),
        _finding("undeclared", "medium", "ab_variant@shop.test", "accept", f"{SHOP}/",
                 "localStorage key not in the registry", f"{SHOP}/static/ab.js"),
        _finding("stale", "low", "_hj*", None, None,
                 "declared cookie _hj* was not seen on any page in any phase", None),
        _finding("expiry_mismatch", "medium", "_ga@.shop.test", "none", f"{SHOP}/",
                 "declared for 400 days, lives 730 days", ga_js),
        _finding("category_mismatch", "low", "_fbp@.shop.test", "accept", f"{SHOP}/",
                 "declared as analytics, known as marketing",
                 "https://connect.facebook.test/fbevents.js"),
        _finding("insecure", "medium", "IDE@.ads.test", "accept", f"{SHOP}/",
                 "third-party cookie without Secure", pixel),
    ]
    return {
        "schema_version": 1,
        "target": f"{SHOP}/",
        "started_at": "2025-03-01T10:00:00+00:00",
        "finished_at": "2025-03-01T10:04:12+00:00",
        "scanner": {"version": "0.1.0", "browser": "Chromium 131.0.6778.33"},
        "pages": pages,
        "cookies": cookies,
        "third_parties": [
            {"host": "ads.test", "phases": ["none", "accept"], "requests": 7, "beacons": 2},
            {"host": "analytics.test", "phases": ["none", "reject", "accept"], "requests": 5,
             "beacons": 3},
            {"host": "video.test", "phases": ["accept"], "requests": 2, "beacons": 0},
        ],
        "findings": findings,
        "coverage": {
            "pages_ok": 4, "pages_failed": 1, "phases": ["none", "reject", "accept"],
            "pages_per_phase": {"none": {"ok": 2, "failed": 0}, "reject": {"ok": 1, "failed": 0},
                                "accept": {"ok": 1, "failed": 1}},
        },
        "registry": {"site": "shop", "entries": 5},
    }


def test_sample_report_is_valid_and_exercises_every_kind() -> None:
    report = sample_report()
    validate_report(report)
    assert {f["kind"] for f in report["findings"]} == set(FINDING_KINDS)
    assert sum(1 for page in report["pages"] if page["error"]) == 1


def test_schema_is_valid_draft_2020_12_and_matches_the_module() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    kinds = schema["$defs"]["finding"]["properties"]["kind"]["enum"]
    assert set(kinds) == set(FINDING_KINDS) == set(KIND_EXPLANATIONS)


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(report: dict[str, Any]) -> None:
        target: Any = report
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return mutate


def _put(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(report: dict[str, Any]) -> None:
        target: Any = report
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return mutate


@pytest.mark.parametrize(("mutate", "expected"), [
    (_drop("cookies", 1, "domain"), "$.cookies[1].domain: required key is missing"),
    (_drop("registry"), "$.registry: required key is missing"),
    (_drop("findings", 5, "set_by"), "$.findings[5].set_by: required key is missing"),
    (_put("later", "pages", 2, "phase"), "$.pages[2].phase: 'later' is not one of"),
    (_put("tracking", "findings", 0, "kind"), "$.findings[0].kind: 'tracking' is not one of"),
    (_put("critical", "findings", 3, "severity"), "$.findings[3].severity:"),
    (_put("fourth", "cookies", 4, "party"), "$.cookies[4].party:"),
    (_put("webSQL", "cookies", 6, "kind"), "$.cookies[6].kind:"),
    (_put("guess", "cookies", 3, "category_source"), "$.cookies[3].category_source:"),
    (_put("ads", "third_parties", 0, "owner"), "$.third_parties[0].owner: unexpected key"),
    (_put(True, "scanner", "headless"), "$.scanner.headless: unexpected key"),
    (_put(2, "schema_version"), "$.schema_version: 1 was expected"),
    (_put("yesterday", "started_at"), "$.started_at: 'yesterday' does not match"),
    (_put("200", "pages", 0, "status"), "$.pages[0].status: '200' is not of type"),
])
def test_invalid_report_names_the_path(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    report = sample_report()
    mutate(report)
    with pytest.raises(ReportError) as caught:
        validate_report(report)
    assert expected in str(caught.value)
    assert caught.value.problems == [p for p in caught.value.problems if p.startswith("$")]
    assert len(caught.value.problems) == 1


def test_many_problems_are_listed_up_to_the_cap() -> None:
    report = sample_report()
    for index in range(MAX_PROBLEMS + 5):
        report["registry"][f"extra{index:02d}"] = index
    with pytest.raises(ReportError) as caught:
        validate_report(report)
    message = str(caught.value)
    assert len(caught.value.problems) == MAX_PROBLEMS + 5
    assert "$.registry.extra00: unexpected key" in message
    assert "$.registry.extra14: unexpected key" not in message
    assert "... and 5 more" in message


def test_write_json_round_trips_through_a_file(tmp_path: Path) -> None:
    report = sample_report()
    report["findings"][0]["detail"] = "gesetzt vor der Zustimmung: Müller & Söhne"
    destination = tmp_path / "report.json"
    write_json(report, str(destination))
    raw = destination.read_bytes()
    assert raw.startswith(b'{\n  "schema_version": 1,\n  "target": ')
    assert "Müller".encode() in raw
    assert json.loads(raw.decode("utf-8")) == report


def test_write_json_dash_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    report = sample_report()
    write_json(report, "-")
    out = capsys.readouterr().out
    assert out.endswith("}\n")
    assert json.loads(out) == report


def test_write_json_refuses_an_invalid_report_and_keeps_the_old_file(tmp_path: Path) -> None:
    destination = tmp_path / "report.json"
    destination.write_text("previous report", encoding="utf-8")
    report = sample_report()
    del report["cookies"][0]["name"]
    with pytest.raises(ReportError, match=r"\$\.cookies\[0\]\.name"):
        write_json(report, str(destination))
    assert destination.read_text(encoding="utf-8") == "previous report"


def test_write_json_refuses_nan(tmp_path: Path) -> None:
    report = sample_report()
    report["cookies"][1]["expires_days"] = float("nan")
    with pytest.raises(ReportError, match="cannot be written as JSON"):
        write_json(report, str(tmp_path / "report.json"))
    assert not (tmp_path / "report.json").exists()


def test_html_puts_findings_before_cookies_with_their_evidence() -> None:
    report = sample_report()
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert page.index('id="summary"') < page.index('id="findings"')
    assert page.index('id="findings"') < page.index('id="cookies"')
    assert page.index('id="cookies"') < page.index('id="third-parties"')
    assert page.index('id="third-parties"') < page.index('id="pages"')
    cookies_at = page.index('id="cookies"')
    for finding in report["findings"]:
        if finding["url"] is not None:
            assert html.escape(finding["url"]) in page[:cookies_at]
        if finding["set_by"] is not None:
            assert html.escape(finding["set_by"]) in page[:cookies_at]
        assert html.escape(finding["cookie"]) in page[:cookies_at]
    for kind in FINDING_KINDS:
        assert html.escape(KIND_EXPLANATIONS[kind]) in page
        assert f'id="kind-{kind}"' in page
    # Kinds are shown most serious first.
    assert page.index('id="kind-pre_consent"') < page.index('id="kind-stale"')


def test_html_header_summary_and_pages() -> None:
    page = render_html(sample_report())
    assert "<title>Cookie scan: https://shop.test/</title>" in page
    assert "Chromium 131.0.6778.33" in page
    assert "cookiegate-scan 0.1.0" in page
    assert "(4 min 12 s)" in page
    assert "<code>shop</code>, 5 entries" in page
    assert "Timeout 30000ms exceeded while loading the page" in page
    assert "prefers-color-scheme: dark" in page
    # The failed visit heads the page list.
    pages_at = page.index('id="pages"')
    assert page.index("/slow", pages_at) < page.index("/products?page=2", pages_at)
    # Summary row for phase accept: 1 ok, 1 failed.
    assert '<td>accept: after accepting all</td><td class="num">1</td>' in page
    assert '<span class="warn">1</span>' in page
    # Self-contained and inert.
    for forbidden in ("<script", "<link", "@import", "<iframe", "<img"):
        assert forbidden not in page


def test_html_cookie_table_groups_and_details() -> None:
    page = render_html(sample_report())
    cookies_at = page.index('id="cookies"')
    necessary = page.index("<h3>necessary, first party (1)</h3>", cookies_at)
    analytics = page.index("<h3>analytics, first party (2)</h3>", cookies_at)
    marketing_third = page.index("<h3>marketing, third party (1)</h3>", cookies_at)
    uncategorised = page.index("<h3>Uncategorised, first party (1)</h3>", cookies_at)
    assert necessary < analytics < marketing_third < uncategorised
    assert "730 days (about 2.0 years)" in page
    assert '<span class="flag warn">not Secure</span>' in page
    assert "refused by the browser: SameSite=None without the Secure attribute" in page
    assert "as <code>_fb</code> (prefix)" in page
    assert "suggested: Google Ads, marketing, kept 90 days" in page
    assert "until cleared" in page  # the localStorage item has no expiry


def test_html_escapes_untrusted_names_and_urls() -> None:
    report = sample_report()
    report["cookies"][0]["name"] = MALICIOUS
    report["findings"][3]["cookie"] = f"{MALICIOUS}@shop.test"
    report["findings"][3]["url"] = f'{SHOP}/"><script>alert(2)</script>'
    report["findings"][4]["set_by"] = "javascript:alert(3)"
    report["third_parties"][0]["host"] = "<b>ads.test</b>"
    page = render_html(report)
    assert MALICIOUS not in page
    assert html.escape(MALICIOUS) in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<b>ads.test</b>" not in page
    # A javascript: URL is shown as text, never as a link.
    assert 'href="javascript:' not in page
    assert "javascript:alert(3)" in page


def _junit(report: dict[str, Any], fail_on: set[str]) -> ET.Element:
    return ET.fromstring(render_junit(report, fail_on))


def test_junit_failures_and_errors() -> None:
    report = sample_report()
    root = _junit(report, FAIL_ON)
    failing = [f for f in report["findings"] if f["kind"] in FAIL_ON]
    assert len(failing) == 5
    assert root.tag == "testsuites"
    assert root.get("failures") == "5"
    assert root.get("errors") == "1"
    assert len(root.findall(".//failure")) == 5
    assert len(root.findall(".//error")) == 1
    testcases = root.findall(".//testcase")
    # Nine findings plus one failed page.
    assert len(testcases) == 10
    assert root.get("tests") == "10"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == [f"findings.{kind}" for kind in FINDING_KINDS] + ["pages"]
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
        assert suite.get("errors") == str(len(suite.findall("testcase/error")))
        if name.removeprefix("findings.") in FAIL_ON:
            assert all(case.find("failure") is not None for case in cases)
        elif name != "pages":
            assert all(case.find("failure") is None for case in cases)
            assert all(case.find("system-out") is not None for case in cases)
    failure = suites["findings.ignored_refusal"].find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "ignored_refusal"
    assert failure.get("message") == "high: analytics cookie set after the visitor refused"
    assert failure.text is not None
    assert KIND_EXPLANATIONS["ignored_refusal"] in failure.text
    assert "Page: https://shop.test/" in failure.text
    assert "Set by: https://analytics.test/ga.js" in failure.text
    error = suites["pages"].find("testcase/error")
    assert error is not None
    assert error.get("message") == "Timeout 30000ms exceeded while loading the page"


def test_junit_without_fail_on_has_no_failures() -> None:
    root = _junit(sample_report(), set())
    assert root.get("failures") == "0"
    assert root.get("errors") == "1"
    assert len(root.findall(".//system-out")) == 9


def test_junit_gate_without_findings_passes_visibly() -> None:
    report = sample_report()
    report["findings"] = [f for f in report["findings"] if f["kind"] == "stale"]
    report["pages"] = [p for p in report["pages"] if p["error"] is None]
    report["coverage"]["pages_failed"] = 0
    report["coverage"]["pages_per_phase"]["accept"]["failed"] = 0
    root = _junit(report, {"pre_consent"})
    assert root.get("failures") == "0"
    assert root.get("errors") == "0"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["findings.pre_consent", "findings.stale", "pages"]
    gate = suites["findings.pre_consent"].findall("testcase")
    assert [case.get("name") for case in gate] == ["no pre_consent findings"]
    assert [case.get("name") for case in suites["pages"].findall("testcase")] == [
        "4 page visits loaded"
    ]


def test_junit_survives_control_characters_and_markup() -> None:
    report = sample_report()
    report["pages"][4]["error"] = "net::ERR_FAILED \x00\x1b[31m <boom> & \"quotes\""
    report["findings"][0]["cookie"] = f"{MALICIOUS}@shop.test"
    root = _junit(report, FAIL_ON)
    error = root.find(".//error")
    assert error is not None
    assert error.get("message") == "net::ERR_FAILED \ufffd\ufffd[31m <boom> & \"quotes\""
    names = [case.get("name") for case in root.iter("testcase")]
    assert f"{MALICIOUS}@shop.test [none] https://shop.test/" in names


def test_junit_rejects_unknown_fail_on_kinds() -> None:
    with pytest.raises(ValueError, match="tracking"):
        render_junit(sample_report(), {"tracking"})


def test_renderers_validate_first() -> None:
    report = copy.deepcopy(sample_report())
    report["pages"][0]["phase"] = "maybe"
    with pytest.raises(ReportError, match=r"\$\.pages\[0\]\.phase"):
        render_html(report)
    with pytest.raises(ReportError, match=r"\$\.pages\[0\]\.phase"):
        render_junit(report, FAIL_ON)
