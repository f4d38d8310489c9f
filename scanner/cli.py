"""`cookiegate-scan`: crawl a site in three consent states and report its cookies.

Exit codes: 0 done; 1 findings of a --fail-on kind exist; 2 usage error, unreadable
registry, or a crawl that could not load a single page.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from scanner.crawl import ScanOptions
from scanner.events import PHASES
from scanner.registry import Registry, RegistryError
from scanner.report import ReportError, render_html, render_junit, write_json

FINDING_KINDS = ("undeclared", "pre_consent", "ignored_refusal", "stale", "expiry_mismatch",
                 "category_mismatch", "insecure")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cookiegate-scan",
        description="Crawl a site as three visitors (no choice, rejected, accepted) and report "
                    "every cookie, storage key and third party, checked against the registry.")
    p.add_argument("urls", nargs="+", metavar="URL", help="start page(s) of the site")
    p.add_argument("--registry", metavar="FILE_OR_URL",
                   help="the site's registry export (registry.json); without it every cookie "
                        "is undeclared")
    p.add_argument("--max-pages", type=int, default=50, metavar="N",
                   help="distinct pages to visit, each in every phase (default 50)")
    p.add_argument("--max-depth", type=int, default=None, metavar="N",
                   help="links to follow from a start page (default: no limit)")
    p.add_argument("--phases", default=",".join(PHASES),
                   help="consent states to visit in (default none,reject,accept)")
    p.add_argument("--concurrency", type=int, default=2, metavar="N",
                   help="browser contexts working in parallel per phase (default 2)")
    p.add_argument("--host-rules", metavar="RULES",
                   help='Chromium host resolver rules, e.g. "MAP * 127.0.0.1" for staging')
    p.add_argument("--ignore-https-errors", action="store_true",
                   help="accept invalid certificates (staging)")
    p.add_argument("--page-timeout", type=float, default=20.0, metavar="SECONDS",
                   help="how long a page may take to load (default 20)")
    p.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                   help="wait after load for cookies set late (default 2)")
    p.add_argument("--no-sitemap", action="store_true",
                   help="do not seed from /sitemap.xml and robots.txt")
    p.add_argument("--json", metavar="FILE", help="write the JSON report (- for stdout)")
    p.add_argument("--html", metavar="FILE", help="write the HTML report")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (for CI)")
    p.add_argument("--push", metavar="URL", help="POST the report to a CookieGate service")
    p.add_argument("--token", help="the site's API token, for --push")
    p.add_argument("--fail-on", default="", metavar="KINDS",
                   help=f"exit 1 when findings of these kinds exist (comma-separated, or 'any'): "
                        f"{', '.join(FINDING_KINDS)}")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def _kinds(text: str, p: argparse.ArgumentParser) -> set[str]:
    kinds = {k.strip() for k in text.split(",") if k.strip()}
    if kinds == {"any"}:
        return set(FINDING_KINDS)
    unknown = kinds - set(FINDING_KINDS)
    if unknown:
        p.error(f"--fail-on: unknown kind(s) {', '.join(sorted(unknown))}; choose from "
                f"{', '.join(FINDING_KINDS)} or 'any'")
    return kinds


class TerminalProgress:
    """Pages done per phase, on one line that rewrites itself (terminals only)."""

    def __init__(self) -> None:
        self.state: dict[str, tuple[int, int]] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.state[phase] = (done, total)
        line = "  ".join(f"{p}: {d}/{t}" for p, (d, t) in self.state.items())
        print(f"\rcookiegate-scan  {line}", end="", file=sys.stderr, flush=True)


def summary(report: dict[str, Any]) -> str:
    counts = Counter(f["kind"] for f in report["findings"])
    coverage = report["coverage"]
    found = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"
    return (f"cookiegate-scan: {coverage['pages_ok']} page visits ok, "
            f"{coverage['pages_failed']} failed; {len(report['cookies'])} cookies and storage "
            f"keys; {len(report['third_parties'])} third parties; findings: {found}")


def push(report: dict[str, Any], url: str, token: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(report).encode(), headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status >= 300:
            raise OSError(f"the service answered {response.status}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    fail_on = _kinds(args.fail_on, p)
    phases = tuple(x.strip() for x in args.phases.split(",") if x.strip())
    options = ScanOptions(urls=args.urls, max_pages=args.max_pages, max_depth=args.max_depth,
                          phases=phases, concurrency=args.concurrency, host_rules=args.host_rules,
                          ignore_https_errors=args.ignore_https_errors,
                          page_timeout=args.page_timeout, settle=args.settle,
                          sitemaps=not args.no_sitemap)
    try:
        options.check()
    except ValueError as exc:
        p.error(str(exc))
    try:
        registry = Registry.load(args.registry) if args.registry else Registry.empty()
    except RegistryError as exc:
        print(f"cookiegate-scan: {exc}", file=sys.stderr)
        return 2
    from scanner.scan import scan

    progress = TerminalProgress() if sys.stderr.isatty() and not args.quiet else None
    try:
        report = scan(options, registry, progress)
    except KeyboardInterrupt:
        print("\ncookiegate-scan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the browser would not start, or Playwright is broken
        print(f"\ncookiegate-scan: the scan could not run: {_first_line(exc)}\n"
              "Is Chromium installed? Install Debian's chromium, set COOKIEGATE_CHROMIUM to a "
              "Chromium binary, or run `playwright install chromium`.", file=sys.stderr)
        return 2
    if progress:
        print(file=sys.stderr)
    try:
        if args.json:
            write_json(report, args.json)
        if args.html:
            Path(args.html).write_text(render_html(report), encoding="utf-8")
        if args.junit:
            Path(args.junit).write_text(render_junit(report, fail_on), encoding="utf-8")
    except (OSError, ReportError) as exc:
        print(f"cookiegate-scan: could not write the report: {exc}", file=sys.stderr)
        return 2
    if args.push:
        try:
            push(report, args.push, args.token)
        except OSError as exc:
            print(f"cookiegate-scan: could not push the report to {args.push}: {exc}",
                  file=sys.stderr)
            return 2
    print(summary(report), file=sys.stderr)
    if not (args.json or args.html or args.junit or args.push):
        for finding in report["findings"]:
            print(f"{finding['severity']:6} {finding['kind']:17} {finding['cookie']}  "
                  f"{finding['detail']}")
    if report["coverage"]["pages_ok"] == 0:
        print("cookiegate-scan: no page could be loaded", file=sys.stderr)
        return 2
    return 1 if any(f["kind"] in fail_on for f in report["findings"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
