"""`cookiegate demo` as a newcomer runs it: a seeded site, a shop page, a consent round trip."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

DECLARED = ["PHPSESSID", "__utma", "_ga", "_ga_", "IDE", "YSC", "VISITOR_INFO1_LIVE", "PREF",
            "GPS", "tfw_exp"]


def free_port() -> int:
    # the demo needs two neighbouring ports
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return int(port)
    raise RuntimeError("no free port pair")


def fetch(url: str, data: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={
        "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    port = free_port()
    env = {**os.environ, "COOKIEGATE_INSTANCE_PATH": str(tmp_path / "instance")}
    for name in ("COOKIEGATE_DATABASE_URL", "COOKIEGATE_SECRET_KEYS", "COOKIEGATE_LEDGER_KEYS"):
        env.pop(name, None)
    cookiegate = Path(sys.executable).with_name("cookiegate")
    process = subprocess.Popen([str(cookiegate), "demo", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl+C" in line:
            break
    try:
        assert any("Demo shop:" in line for line in lines), "".join(lines)
        yield port, "".join(lines)
    finally:
        process.terminate()
        process.wait(10)


def test_demo_serves_shop_policy_and_a_consent_round_trip(demo: Any) -> None:
    port, output = demo
    gateway, shop = f"http://127.0.0.1:{port}", f"http://localhost:{port + 1}"
    assert f"{shop}/" in output and f"{gateway}/cg/demo/policy" in output

    status, page = fetch(f"{shop}/")
    assert status == 200 and f'src="{gateway}/cg/demo/banner.js"'.encode() in page
    _, privacy = fetch(f"{shop}/privacy")
    for name in DECLARED:
        assert f"<code>{name}".encode() in privacy, name
    assert b"YouTube (Google)" in privacy and b"Google DoubleClick" in privacy

    registry = json.loads(fetch(f"{gateway}/cg/demo/registry.json")[1])
    assert {e["name"] for e in registry["entries"]} >= set(DECLARED)

    status, body = fetch(f"{gateway}/cg/demo/consent", {"action": "reject_all",
                                                        "page": f"{shop}/"},
                         {"Origin": shop})
    receipt = json.loads(body)
    assert status == 201 and receipt["choices"]["marketing"] is False
    _, history = fetch(f"{gateway}/cg/demo/consent/{receipt['consent_id']}",
                       headers={"Authorization": f"Bearer {receipt['token']}"})
    assert json.loads(history)["records"][0]["action"] == "reject_all"


@pytest.mark.browser
def test_demo_shop_round_trip_in_a_browser(demo: Any, browser: Any) -> None:
    """The shop on one origin records a choice with the gateway on another, in Chromium."""
    port, _ = demo
    page = browser.new_page()
    failures: list[str] = []
    page.on("requestfailed", lambda r: failures.append(f"{r.url} {r.failure}"))
    page.goto(f"http://localhost:{port + 1}/")
    banner = page.get_by_role("dialog", name="Your privacy choices")
    banner.get_by_role("button", name="Reject all").click()
    output = page.locator("#rt-output")
    output.get_by_text("Recorded. Your history:").wait_for(timeout=10000)
    history = json.loads(output.inner_text().split("\n", 1)[1])
    assert [r["action"] for r in history["records"]] == ["reject_all"]
    assert history["records"][0]["page_url"] == f"http://localhost:{port + 1}/"
    page.get_by_role("link", name="Cookie settings").click()
    page.get_by_role("dialog", name="Cookie settings").get_by_role(
        "button", name="Accept all").click()
    output.get_by_text('"accept_all"').wait_for(timeout=10000)
    history = json.loads(output.inner_text().split("\n", 1)[1])
    assert [r["action"] for r in history["records"]] == ["reject_all", "accept_all"]
    assert history["records"][1]["choices"]["marketing"] is True
    assert page.evaluate("document.cookie").count("_ga=") == 1  # the gated tag ran
    page.goto(f"http://localhost:{port + 1}/privacy")
    rows = page.locator("table.cg-policy-table tbody tr")
    assert rows.count() == len(DEMO_ROWS)
    assert page.evaluate("typeof window.CookieGate.config.categories") == "object"
    assert not failures, failures
    page.close()


DEMO_ROWS = ["PHPSESSID", "cg_consent", "cg_checked", "_ga", "_ga_", "__utma", "IDE", "YSC",
             "VISITOR_INFO1_LIVE", "GPS", "PREF", "tfw_exp"]
