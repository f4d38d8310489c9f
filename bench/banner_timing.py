"""Banner timing benchmark: how fast the banner appears, whether it shifts the layout, and how
fast a click on "Accept all" becomes the `cookiegate:consent` event.

Starts the gateway (SQLite, the seeded demo site) and the demo shop on loopback, then loads
the shop in headless Chromium, each run in a fresh context (no cache, no stored choice).
Writes bench/banner.json. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

PROBE = """
window.__cg = {shift: 0};
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.__cg.shift += e.value; });
}).observe({type: "layout-shift", buffered: true});
new MutationObserver(function (_, observer) {
  var layer = document.querySelector(".cg:not([hidden]) .cg-layer:not([hidden])");
  if (layer && layer.getBoundingClientRect().height > 0) {
    observer.disconnect();
    window.__cg.visible = performance.now();
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      window.__cg.painted = performance.now(); }); });
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-cg-action=accept_all]")) {
    window.__cg.click = performance.now();
  }
}, true);
window.addEventListener("cookiegate:consent", function () {
  window.__cg.consent = performance.now();
});
"""


def serve(app: Any) -> tuple[Any, int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 2),
            "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
            "max": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--output", default="bench/banner.json")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from cookiegate import create_app
    from cookiegate.demo.seed import seed_demo
    from cookiegate.demo.serve import marketing_site

    workdir = tempfile.mkdtemp(prefix="cg-bench-banner-")
    os.environ["COOKIEGATE_INSTANCE_PATH"] = workdir
    app = create_app({"DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
                      "SECRET_KEYS": "bench", "LEDGER_KEYS": "bench"})
    runtime = app.extensions["cookiegate"]
    runtime.database.upgrade()
    with runtime.database.transaction() as session:
        seed_demo(session, runtime.ledger, ["localhost", "127.0.0.1"])
    gateway, gateway_port = serve(app)
    shop, shop_port = serve(marketing_site(f"http://127.0.0.1:{gateway_port}"))
    chromium = os.environ.get("COOKIEGATE_CHROMIUM") or shutil.which("chromium")
    visible, painted, shifts, reactions = [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for _ in range(args.runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(PROBE)
            page = context.new_page()
            page.goto(f"http://localhost:{shop_port}/", wait_until="load")
            page.get_by_role("button", name="Accept all").first.click()
            page.wait_for_timeout(200)
            probe = page.evaluate("window.__cg")
            visible.append(probe["visible"])
            painted.append(probe["painted"])
            shifts.append(probe["shift"])
            reactions.append(probe["consent"] - probe["click"])
            context.close()
        version = browser.version
        browser.close()
    gateway.shutdown()
    shop.shutdown()
    document = {
        "benchmark": "banner: navigation start to visible, layout shift, click to consent event",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "browser": f"Chromium {version} (headless)"},
        "runs": args.runs,
        "ms_navigation_to_banner_in_dom_visible": summary(visible),
        "ms_navigation_to_banner_painted": summary(painted),
        "cumulative_layout_shift": {"max": round(max(shifts), 4),
                                    "median": round(statistics.median(shifts), 4)},
        "ms_accept_click_to_consent_event": summary(reactions),
    }
    Path(args.output).write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
