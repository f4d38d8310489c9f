"""ThreePhaseCrawl: the same pages visited as three visitors — one who never answers the
banner, one who rejects, one who accepts — each in fresh browser contexts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from scanner.browser import SANDBOX_ARGS, PageVisitor, chromium_path
from scanner.events import PHASES, PageObservation
from scanner.frontier import Frontier, PageTask, robots_sitemaps, sitemap_urls
from scanner.parties import Parties

Progress = Callable[[str, int, int], None]  # phase, pages done, pages known


@dataclass
class ScanOptions:
    urls: list[str]
    site_domains: list[str] = field(default_factory=list)
    max_pages: int = 50
    max_depth: int | None = None
    phases: tuple[str, ...] = PHASES
    concurrency: int = 2
    host_rules: str | None = None
    ignore_https_errors: bool = False
    page_timeout: float = 20.0  # seconds for a page to load
    settle: float = 2.0  # seconds to wait after load for late cookie writers
    sitemaps: bool = True

    def check(self) -> None:
        if not self.urls:
            raise ValueError("give at least one URL to scan")
        for url in self.urls:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        unknown = [p for p in self.phases if p not in PHASES]
        if unknown or not self.phases:
            raise ValueError(f"phases must be among {', '.join(PHASES)}; got "
                             f"{', '.join(self.phases) or 'none'}")
        if self.max_pages < 1 or self.concurrency < 1:
            raise ValueError("--max-pages and --concurrency must be at least 1")


@dataclass
class CrawlResult:
    observations: list[PageObservation]
    browser_version: str
    skipped: dict[str, int]


class ThreePhaseCrawl:
    def __init__(self, options: ScanOptions, progress: Progress | None = None) -> None:
        options.check()
        self.options = options
        self.progress = progress or (lambda phase, done, total: None)
        hosts = [urlsplit(u).hostname or "" for u in options.urls] + list(options.site_domains)
        self.parties = Parties(hosts)
        self.order = 0

    def run(self) -> CrawlResult:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._run())
        # Called from inside an event loop (a notebook, a sync Playwright session): the crawl
        # gets a loop of its own on another thread.
        outcome: dict[str, Any] = {}

        def crawl() -> None:
            try:
                outcome["result"] = asyncio.run(self._run())
            except BaseException as exc:  # handed to the caller's thread below
                outcome["error"] = exc

        thread = threading.Thread(target=crawl, name="cookiegate-scan")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        result: CrawlResult = outcome["result"]
        return result

    async def _run(self) -> CrawlResult:
        from playwright.async_api import async_playwright

        args = list(SANDBOX_ARGS)
        if self.options.host_rules:
            args.append(f"--host-resolver-rules={self.options.host_rules}")
        profile = tempfile.mkdtemp(prefix="cookiegate-scan-")
        async with async_playwright() as playwright:
            base = await playwright.chromium.launch_persistent_context(
                _allow_third_party_cookies(profile), executable_path=chromium_path(), args=args)
            # Every visitor is a fresh context of this one browser, off the record; the
            # profile's settings let them keep third-party cookies as most browsers do
            # (an off-the-record context blocks them by default, hiding ad cookies).
            browser = base.browser
            assert browser is not None  # Chromium's persistent contexts have one
            try:
                frontier = Frontier(self.parties, self.options.max_pages, self.options.max_depth)
                for url in self.options.urls:
                    frontier.add(url, 0)
                if self.options.sitemaps:
                    for url in await self._sitemap_pages(browser):
                        frontier.add(url, 1)
                observations: list[PageObservation] = []
                first, *rest = self.options.phases
                observations += await self._phase(browser, first, frontier)
                pages = [PageTask(o.url, o.depth) for o in observations]
                for phase in rest:
                    fixed = Frontier(self.parties, len(pages), None)
                    fixed.queue.extend(pages)
                    observations += await self._phase(browser, phase, fixed, discover=False)
                return CrawlResult(observations, browser.version, dict(frontier.skipped))
            finally:
                await base.close()
                shutil.rmtree(profile, ignore_errors=True)

    async def _phase(self, browser: Any, phase: str, frontier: Frontier,
                     discover: bool = True) -> list[PageObservation]:
        done: list[PageObservation] = []
        busy = 0
        options = self.options

        async def visit(visitor: PageVisitor, task: PageTask) -> None:
            nonlocal busy
            busy += 1
            self.order += 1
            try:
                observation = await visitor.visit(task.url, task.depth, self.order)
            finally:
                busy -= 1
            if discover and observation.error is None:
                for link in observation.links:
                    frontier.add(urljoin(observation.final_url or task.url, link), task.depth + 1,
                                 parent=task.url)
            done.append(observation)
            self.progress(phase, len(done), len(done) + len(frontier.queue) + busy)

        async def open_visitor(state: Any = None) -> PageVisitor:
            return await PageVisitor.open(browser, phase, self.parties, options.page_timeout,
                                          options.settle, options.ignore_https_errors, state)

        # The first visitor answers the banner on the first page; the others start from a
        # copy of its cookies and storage, as the same visitor in more tabs.
        first = await open_visitor()
        task = frontier.pop()
        if task is not None:
            await visit(first, task)  # never raises: a failing page is an observation
        try:
            state = await first.state()
        except Exception:  # a wedged context: the others start fresh and answer for themselves
            state = None
        visitors = [first]
        for _ in range(options.concurrency - 1):
            extra = await open_visitor(state)
            extra.answered = state is not None
            visitors.append(extra)

        async def work(visitor: PageVisitor) -> None:
            while True:
                task = frontier.pop()
                if task is None:
                    if busy == 0:
                        return
                    await asyncio.sleep(0.05)  # another visitor may still find links
                    continue
                await visit(visitor, task)

        try:
            await asyncio.gather(*(work(v) for v in visitors))
        finally:
            for visitor in visitors:
                await visitor.close()
        return sorted(done, key=lambda o: o.order)

    async def _sitemap_pages(self, browser: Any) -> list[str]:
        """Pages named by /sitemap.xml and the sitemaps robots.txt names (through Chromium,
        so host rules and certificate settings apply)."""
        context = await browser.new_context(ignore_https_errors=self.options.ignore_https_errors)
        page = await context.new_page()
        found: list[str] = []
        try:
            origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.options.urls}
            queue: list[str] = []
            for origin in sorted(origins):
                robots = await _text(page, f"{origin}/robots.txt")
                queue += [*robots_sitemaps(robots or ""), f"{origin}/sitemap.xml"]
            fetched: set[str] = set()
            while queue and len(fetched) < 20:
                url = queue.pop(0)
                if url in fetched:
                    continue
                fetched.add(url)
                pages, nested = sitemap_urls(await _text(page, url) or "")
                found += pages
                queue += nested
        finally:
            await context.close()
        return found


async def _text(page: Any, url: str) -> str | None:
    try:
        response = await page.goto(url, timeout=10000)
        if response is None or response.status != 200:
            return None
        return str(await response.text())[:5_000_000]
    except Exception:  # no sitemap (or robots.txt) is normal
        return None


def _allow_third_party_cookies(profile: str) -> str:
    """A browser profile whose cookie controls are off (Chromium's off-the-record default
    blocks third-party cookies)."""
    os.makedirs(os.path.join(profile, "Default"), exist_ok=True)
    with open(os.path.join(profile, "Default", "Preferences"), "w") as handle:
        json.dump({"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}},
                  handle)
    return profile
