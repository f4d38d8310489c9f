"""Scanner benchmark: a generated 200-page site scanned in all three phases, with every
detection on. Writes page visits per minute, wall time and memory (the scanner's process and
its Chromium, sampled as the scan goes) to bench/scan.json. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import ssl
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trustme
from flask import Flask, Response, request
from werkzeug.serving import make_server

from scanner.crawl import ScanOptions
from scanner.scan import scan


def generated_site(sections: int, items: int) -> Flask:
    """A shop-like site: the home page lists sections, each section lists its items, and an
    item links home, to its section and to two neighbours. Every page sets a cookie by header
    and one by script, writes localStorage and loads a third-party pixel."""
    app = Flask("bench-site")

    def page(title: str, links: list[str]) -> Response:
        port = request.host.rsplit(":", 1)[1]
        anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
        body = (f"<!doctype html><html lang=en><head><title>{title}</title></head><body>"
                f"<h1>{title}</h1><p>{anchors}</p>"
                f'<img src="https://pixel.test:{port}/px.gif?p={title}" alt="">'
                f'<script src="/tag.js"></script></body></html>')
        response = Response(body, mimetype="text/html")
        response.headers.add("Set-Cookie", f"visit_{len(title) % 7}=1; Path=/; Max-Age=3600; "
                                           "Secure")
        return response

    @app.get("/")
    def home() -> Response:
        return page("Home", [f"/section/{k}" for k in range(sections)])

    @app.get("/section/<int:k>")
    def section(k: int) -> Response:
        return page(f"Section {k}", [f"/section/{k}/item/{j}" for j in range(items)])

    @app.get("/section/<int:k>/item/<int:j>")
    def item(k: int, j: int) -> Response:
        return page(f"Item {k}-{j}", ["/", f"/section/{k}", f"/section/{k}/item/{(j + 1) % items}",
                                      f"/section/{k}/item/{(j + 2) % items}"])

    @app.get("/tag.js")
    def tag() -> Response:
        return Response('document.cookie = "_ga=GA1.1." + Date.now() + "; path=/; max-age=9e6";'
                        'localStorage.setItem("seen", "1");', mimetype="text/javascript")

    @app.get("/px.gif")
    def pixel() -> Response:
        return Response(b"GIF89a", mimetype="image/gif",
                        headers={"Set-Cookie": "uid=1; Path=/; Secure; SameSite=None"})

    return app


def tree_memory_mb() -> tuple[float, float]:
    """(RSS, PSS) of this process and all its descendants (Chromium's processes), in MB.
    RSS counts pages shared between Chromium's processes once per process; PSS splits them."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    rss = pss = 0
    stack = [os.getpid()]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return round(rss / 1024, 1), round(pss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--output", default="bench/scan.json")
    args = parser.parse_args()

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("site.test", "pixel.test").configure_cert(context)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, generated_site(10, 20), threaded=True,
                         ssl_context=context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = ScanOptions(urls=[f"https://site.test:{server.server_port}/"],
                          max_pages=args.pages, concurrency=args.concurrency,
                          host_rules="MAP *.test 127.0.0.1", ignore_https_errors=True)
    samples: list[dict[str, Any]] = []
    latest: dict[str, Any] = {"phase": "start", "done": 0}

    def progress(phase: str, done: int, total: int) -> None:
        latest.update(phase=phase, done=done)

    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            rss, pss = tree_memory_mb()
            samples.append({"t": round(time.monotonic() - started, 1), **latest,
                            "rss_mb": rss, "pss_mb": pss})

    started = time.monotonic()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    report = scan(options, progress=progress)
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    server.shutdown()
    visits = len(report["pages"])
    by_quarter = {}
    for phase in ("none", "reject", "accept"):
        points = [s for s in samples if s["phase"] == phase]
        for quarter in (1, 2, 3, 4):
            upto = [s["pss_mb"] for s in points if s["done"] <= args.pages * quarter / 4]
            if upto:
                by_quarter[f"{phase} {quarter * 25}%"] = max(upto)
    document = {
        "benchmark": "cookiegate-scan over a generated site, all three phases, all detection",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "browser": report["scanner"]["browser"],
        "settings": {"pages": args.pages, "concurrency": args.concurrency,
                     "settle_seconds": options.settle,
                     "page_timeout_seconds": options.page_timeout},
        "page_visits": visits,
        "page_visits_failed": report["coverage"]["pages_failed"],
        "wall_seconds": round(wall, 1),
        "page_visits_per_minute": round(visits / wall * 60, 1),
        "peak_pss_mb": max((s["pss_mb"] for s in samples), default=None),
        "peak_rss_mb": max((s["rss_mb"] for s in samples), default=None),
        "peak_pss_mb_by_progress": by_quarter,
        "cookies_reported": len(report["cookies"]),
        "findings": len(report["findings"]),
    }
    Path(args.output).write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
