"""`scan()`: the scanner as a library call — crawl, analyse, return the report dict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.analysis import build_report
from scanner.crawl import Progress, ScanOptions, ThreePhaseCrawl
from scanner.knowndb import KnownCookies
from scanner.registry import Registry


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def scan(options: ScanOptions, registry: Registry | None = None,
         progress: Progress | None = None) -> dict[str, Any]:
    """Crawl `options.urls` in each phase and report every cookie, storage key, third party
    and finding (the SPEC's report, schema_version 1)."""
    registry = registry or Registry.empty()
    if registry.domains:
        options.site_domains = [*options.site_domains, *registry.domains]
    started = _now()
    crawl = ThreePhaseCrawl(options, progress)
    result = crawl.run()
    return build_report(
        result.observations, registry, KnownCookies.bundled(), crawl.parties,
        target=options.urls[0], started_at=started, finished_at=_now(),
        scanner_version=__version__, browser=f"Chromium {result.browser_version}",
        phases=tuple(options.phases))
