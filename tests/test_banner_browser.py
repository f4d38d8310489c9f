"""The banner in a real Chromium, embedded on a fixture shop (https://www.shop.test) that
loads it from the gateway on another origin (https://cg.test), under a strict CSP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_site, runtime
from tests.fixture_sites import SiteLog, https_server, marketing_site, tls_context

pytestmark = pytest.mark.browser

SHOP_REGISTRY: list[dict[str, Any]] = [
    {"name": "PHPSESSID", "category": "necessary", "provider": "Shop", "retention": "session",
     "purpose": "Keeps the basket"},
    {"name": "_ga", "category": "analytics", "provider": "Google Analytics",
     "retention": "2 years", "purpose": "Distinguishes visitors"},
    {"name": "_ga_", "match": "prefix", "category": "analytics",
     "provider": "Google Analytics", "retention": "2 years", "purpose": "Session state"},
    {"name": "_fbp", "category": "marketing", "provider": "Meta", "retention": "3 months",
     "purpose": "Ad delivery"},
    {"name": "ui_lang", "category": "preferences", "provider": "Shop", "retention": "1 year",
     "purpose": "Remembers the language"},
    {"name": "IDE", "domain": "doubleclick.net", "category": "marketing",
     "provider": "Google DoubleClick", "retention": "13 months", "purpose": "Ad targeting"},
]
NON_NECESSARY = {"_ga", "_ga_ABC123", "_fbp", "ui_lang"}
VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
window.__events = [];
["consent", "change"].forEach(function (n) {
  window.addEventListener("cookiegate:" + n, function (e) {
    window.__events.push([n, JSON.stringify(e.detail)]);
  });
});
"""


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Browser tests exercise the banner, not the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'cookiegate.sqlite3'}"


@pytest.fixture
def world(app: Flask, browser: Any) -> Iterator[dict[str, Any]]:
    make_site(app, "shop", ("shop.test",), SHOP_REGISTRY)
    context = tls_context()
    log = SiteLog()
    with (https_server(app, context, "cg.test") as gateway,
          https_server(marketing_site(gateway.url, log), context, "www.shop.test") as shop):
        yield {"gateway": gateway.url, "shop": shop.url + "/", "log": log, "app": app,
               "browser": browser}


def new_page(world: dict[str, Any], **options: Any) -> Any:
    context = world["browser"].new_context(ignore_https_errors=True, **options)
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    page.goto(world["shop"])
    page.locator(".cg-layer").first.wait_for(state="attached", timeout=10000)
    return page


def until(page: Any, expression: str) -> None:
    """Poll a JS expression (wait_for_function would evaluate strings, which the CSP forbids)."""
    for _ in range(100):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after 10 s: {expression}")


def cookie_names(page: Any) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def ran(page: Any) -> list[str]:
    return page.evaluate("window.__ran || []")


def records(app: Flask) -> list[dict[str, Any]]:
    with runtime(app).database.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT action, choices, gpc, source FROM consent_records "
                                 "ORDER BY id")).mappings().all()
    return [{**r, "choices": json.loads(r["choices"])} for r in rows]


def wait_records(page: Any, app: Flask, count: int) -> list[dict[str, Any]]:
    for _ in range(50):
        found = records(app)
        if len(found) >= count and "cg_consent" in cookie_names(page):
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"expected {count} consent records, found {records(app)}")


def test_before_any_choice_nothing_runs_and_the_banner_asks(world: dict[str, Any]) -> None:
    page = new_page(world)
    banner = page.get_by_role("dialog", name="Your privacy choices")
    banner.wait_for()
    for label in ("Accept all", "Reject all", "Customise"):
        assert banner.get_by_role("button", name=label).is_visible()
    policy = banner.get_by_role("link", name="Cookie policy").get_attribute("href")
    assert policy == f"{world['gateway']}/cg/shop/policy"
    page.keyboard.press("Escape")  # closing without a choice is not consent: still asking
    assert banner.is_visible()
    page.wait_for_timeout(500)
    assert ran(page) == []
    assert sum(world["log"].fetched.values()) == 0
    assert cookie_names(page) == {"PHPSESSID"}
    video = page.locator("iframe[title='Product video']")
    assert "/cg/shop/embed?c=marketing" in video.get_attribute("src")  # the placeholder
    placeholder = page.frame_locator("iframe[title='Product video']")
    assert placeholder.get_by_text("This content is blocked until you allow Marketing").is_visible()
    consent = page.evaluate("window.dataLayer.map(function (a) { return [].slice.call(a); })")
    assert consent[0][:2] == ["consent", "default"]
    assert consent[0][2]["analytics_storage"] == "denied"
    assert consent[0][2]["ad_user_data"] == "denied"
    assert consent[0][2]["security_storage"] == "granted"
    assert page.evaluate("window.__csp") == []


def test_reject_all_runs_only_refusal_tags_and_records_everything_false(
        world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Reject all").click()
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["action"] == "reject_all"
    assert rows[0]["choices"] == {"necessary": True, "preferences": False, "analytics": False,
                                  "marketing": False}
    assert page.get_by_role("dialog", name="Your privacy choices").is_hidden()
    until(page, "(window.__ran || []).length > 0")
    assert ran(page) == ["no-analytics"]
    page.reload()
    until(page, "(window.__ran || []).length > 0")
    page.get_by_role("button", name="Cookie settings").wait_for()
    assert page.get_by_role("dialog", name="Your privacy choices").is_hidden()
    assert ran(page) == ["no-analytics"]
    assert cookie_names(page) == {"PHPSESSID", "cg_consent"}
    assert world["log"].fetched == {"no-analytics": 2}
    assert page.evaluate("window.__csp") == []


def test_accept_all_runs_every_gated_tag_once_and_updates_consent_mode(
        world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Accept all").click()
    until(page, "(window.__ran || []).length >= 3")
    page.wait_for_timeout(300)
    assert sorted(ran(page)) == ["analytics", "marketing", "preferences"]
    assert world["log"].fetched["embed"] == 1 and world["log"].fetched["pixel"] == 1
    assert page.locator("iframe[title='Product video']").get_attribute("src").endswith("/embed")
    update = page.evaluate("window.dataLayer.map(function (a) { return [].slice.call(a); })")[-1]
    assert update[:2] == ["consent", "update"]
    assert set(update[2].values()) == {"granted"}
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["choices"] == {"necessary": True, "preferences": True, "analytics": True,
                                  "marketing": True}
    events = page.evaluate("window.__events")
    assert [name for name, _ in events] == ["consent"]
    assert page.evaluate("CookieGate.acceptedCategory('marketing')") is True
    assert page.evaluate("window.__csp") == []


def test_customise_runs_exactly_the_chosen_categories(world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Customise").click()
    prefs = page.get_by_role("dialog", name="Cookie settings")
    prefs.wait_for()
    assert prefs.get_by_role("switch", name="Strictly necessary").is_checked()
    assert prefs.get_by_role("switch", name="Strictly necessary").is_disabled()
    for name in ("Preferences", "Analytics", "Marketing"):
        assert not prefs.get_by_role("switch", name=name).is_checked()  # nothing pre-ticked
    prefs.get_by_text("Cookies in this category (2)").first.click()  # analytics' registry table
    assert prefs.get_by_role("cell", name="Distinguishes visitors").is_visible()
    prefs.get_by_role("switch", name="Analytics").check()
    prefs.get_by_role("button", name="Save my choices").click()
    until(page, "(window.__ran || []).length > 0")
    page.wait_for_timeout(300)
    assert ran(page) == ["analytics"]
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["action"] == "custom"
    assert rows[0]["choices"] == {"necessary": True, "preferences": False, "analytics": True,
                                  "marketing": False}
    assert {"_ga", "_ga_ABC123"} <= cookie_names(page)
    assert "_fbp" not in cookie_names(page)


def test_withdrawal_deletes_the_categorys_cookies_and_stops_its_tags(
        world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Accept all").click()
    wait_records(page, world["app"], 1)
    until(page, "(window.__ran || []).length >= 3")
    assert cookie_names(page) >= NON_NECESSARY
    page.get_by_role("button", name="Cookie settings").click()
    prefs = page.get_by_role("dialog", name="Cookie settings")
    assert prefs.get_by_role("switch", name="Analytics").is_checked()
    with page.expect_navigation():
        prefs.get_by_role("button", name="Reject all").click()
    until(page, "(window.__ran || []).length > 0")
    remaining = cookie_names(page)
    assert not (NON_NECESSARY & remaining), remaining  # _ga_ABC123 by prefix, on shop.test
    assert ran(page) == ["no-analytics"]
    rows = wait_records(page, world["app"], 2)
    assert [r["action"] for r in rows] == ["accept_all", "withdraw"]
    assert not any(v for k, v in rows[1]["choices"].items() if k != "necessary")
    assert page.evaluate("window.__csp") == []


def test_narrowing_one_category_keeps_the_others(world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Accept all").click()
    wait_records(page, world["app"], 1)
    until(page, "(window.__ran || []).length >= 3")
    page.evaluate("CookieGate.show()")
    prefs = page.get_by_role("dialog", name="Cookie settings")
    prefs.get_by_role("switch", name="Marketing").uncheck()
    with page.expect_navigation():
        prefs.get_by_role("button", name="Save my choices").click()
    until(page, "(window.__ran || []).length >= 2")
    page.wait_for_timeout(300)
    assert sorted(ran(page)) == ["analytics", "preferences"]
    assert "_fbp" not in cookie_names(page)
    assert {"_ga", "ui_lang"} <= cookie_names(page)


def test_global_privacy_control_keeps_marketing_off_under_accept_all(
        world: dict[str, Any]) -> None:
    page = new_page(world, extra_http_headers={"Sec-GPC": "1"})
    assert page.get_by_text("Your browser's privacy signal was honoured").first.is_visible()
    page.get_by_role("button", name="Accept all").click()
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["gpc"] and rows[0]["choices"]["marketing"] is False
    assert rows[0]["choices"]["analytics"] is True
    until(page, "(window.__ran || []).length >= 2")
    page.wait_for_timeout(300)
    assert sorted(ran(page)) == ["analytics", "preferences"]
    # only the category's own switch grants it
    page.evaluate("CookieGate.show()")
    prefs = page.get_by_role("dialog", name="Cookie settings")
    prefs.get_by_role("switch", name="Marketing").check()
    prefs.get_by_role("button", name="Save my choices").click()
    until(page, "(window.__ran || []).indexOf('marketing') >= 0")
    rows = wait_records(page, world["app"], 2)
    assert rows[1]["choices"]["marketing"] is True


def test_a_tampered_token_is_not_trusted(world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Reject all").click()
    wait_records(page, world["app"], 1)
    token = next(c for c in page.context.cookies() if c["name"] == "cg_consent")
    payload, rest = token["value"].split(".", 1)
    import base64

    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["c"] = {k: 1 for k in forged["c"]}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    page.context.add_cookies([{**token, "value": f"{forged_payload}.{rest}"}])
    page.reload()
    page.get_by_role("dialog", name="Your privacy choices").wait_for()
    page.wait_for_timeout(300)
    assert ran(page) == []


def test_a_material_change_asks_again(world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("button", name="Accept all").click()
    wait_records(page, world["app"], 1)
    from cookiegate.registry.operations import import_entries
    from cookiegate.registry.transfer import validate_entry
    from cookiegate.sites.operations import get_site, publish_site

    rt = runtime(world["app"])
    with rt.database.transaction() as session:
        site = get_site(session, "shop")
        entry = validate_entry({"name": "_hjid", "category": "analytics", "provider": "Hotjar",
                                "purpose": "Records sessions to replay them",
                                "retention": "1 year"}, [c.key for c in site.categories],
                               site.domains)
        import_entries(session, site.id, [entry])
        assert publish_site(session, site).reprompt_reasons
    # a later visit (a fresh browser cache) of the same visitor, with the same cookie
    later = world["browser"].new_context(ignore_https_errors=True,
                                         storage_state=page.context.storage_state())
    again = later.new_page()
    again.goto(world["shop"])
    again.get_by_role("dialog", name="Your privacy choices").wait_for()
    assert again.evaluate("window.__ran || []") == []


def test_keyboard_alone_reaches_and_operates_every_control(world: dict[str, Any]) -> None:
    page = new_page(world)
    page.get_by_role("dialog", name="Your privacy choices").wait_for()
    seen = []
    for _ in range(4):  # the banner is the first thing in the tab order
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent"))
    assert seen == ["Cookie policy", "Accept all", "Reject all", "Customise"]
    page.keyboard.press("Enter")  # Customise
    prefs = page.get_by_role("dialog", name="Cookie settings")
    prefs.wait_for()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "dialog"
    inside = "document.activeElement.closest('.cg-prefs') !== null"
    labels = []
    for _ in range(14):  # more presses than controls: focus must stay in the modal
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
        labels.append(page.evaluate("document.activeElement.getAttribute('aria-label') || "
                                    "document.activeElement.textContent || "
                                    "document.activeElement.id"))
    assert "Save my choices" in labels and "Close" in labels
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    page.keyboard.press("Escape")  # back to the first layer, focus back on Customise
    page.get_by_role("dialog", name="Your privacy choices").wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Customise"
    page.keyboard.press("Enter")
    prefs.wait_for()
    page.focus(".cg-prefs [role=switch][data-cg-key=analytics]")
    page.keyboard.press("Space")
    for _ in range(30):  # bounded: a broken focus order fails instead of hanging
        if page.evaluate("document.activeElement.textContent") == "Save my choices":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["choices"]["analytics"] is True and rows[0]["choices"]["marketing"] is False


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_equal_prominence_and_no_accessibility_violations(world: dict[str, Any],
                                                          scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = new_page(world, color_scheme=scheme)
    banner = page.get_by_role("dialog", name="Your privacy choices")
    banner.wait_for()
    styles = [banner.get_by_role("button", name=name).evaluate(
        "el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();"
        " return [Math.round(r.width), Math.round(r.height), s.fontWeight, s.fontSize,"
        " s.color, s.backgroundColor]; }") for name in ("Accept all", "Reject all", "Customise")]
    assert all(s[:4] == styles[0][:4] for s in styles), styles  # same box, weight and size
    for _, _, _, _, colour, background in styles:
        assert contrast(colour, background) >= 4.5, (colour, background)
    assert len({(s[4], s[5]) for s in styles}) == 1  # same colours: none is nudged
    axe = Axe()
    first = axe.run(page, context=".cg")
    assert first.violations_count == 0, first.generate_report()
    page.get_by_role("button", name="Customise").click()
    page.get_by_role("dialog", name="Cookie settings").wait_for()
    page.get_by_text("Cookies in this category (2)").first.click()
    second = axe.run(page, context=".cg")
    assert second.violations_count == 0, second.generate_report()


def test_language_follows_the_pages_html_lang(world: dict[str, Any]) -> None:
    context = world["browser"].new_context(ignore_https_errors=True, locale="en-GB")
    page = context.new_page()
    page.goto(world["shop"] + "?lang=de")
    banner = page.get_by_role("dialog", name="Ihre Datenschutzeinstellungen")
    banner.wait_for(timeout=10000)
    for label in ('Alle akzeptieren', 'Alle ablehnen', 'Anpassen'):
        assert banner.get_by_role("button", name=label).is_visible()
    assert page.locator(".cg").get_attribute("lang") == "de"


def test_the_preference_page_records_consent_without_javascript(world: dict[str, Any]) -> None:
    context = world["browser"].new_context(ignore_https_errors=True, java_script_enabled=False)
    page = context.new_page()
    back = world["shop"] + "other"
    page.goto(f"{world['gateway']}/cg/shop/preferences?next={back}")
    assert not page.get_by_label("Analytics").is_checked()
    page.get_by_label("Analytics").check()
    with page.expect_navigation(url=back):
        page.get_by_role("button", name="Save my choices").click()
    [row] = records(world["app"])
    assert row["source"] == "preferences"
    assert row["choices"] == {"necessary": True, "preferences": False, "analytics": True,
                              "marketing": False}


def test_click_to_load_placeholder_loads_one_embed_or_allows_its_category(
        world: dict[str, Any]) -> None:
    page = new_page(world)
    video = page.frame_locator("iframe[title='Product video']")
    video.get_by_role("button", name="Load content").click()
    video.get_by_text("Video player").wait_for()
    assert world["log"].fetched["embed"] == 1
    assert records(world["app"]) == []  # loading one embed is not consent to a category
    page.reload()
    video = page.frame_locator("iframe[title='Product video']")
    video.get_by_role("button", name="Allow Marketing").click()
    rows = wait_records(page, world["app"], 1)
    assert rows[0]["choices"]["marketing"] is True and rows[0]["choices"]["analytics"] is False
    video.get_by_text("Video player").wait_for()
    until(page, "(window.__ran || []).indexOf('marketing') >= 0")
