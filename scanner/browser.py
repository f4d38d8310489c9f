"""The one module that drives Chromium (through Playwright): visit a page in a context and
record what it did. Everything it returns is plain data (events.py)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from contextlib import suppress
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scanner.consent import answer_banner
from scanner.events import (
    HeaderCookie,
    JarCookie,
    PageObservation,
    RequestSeen,
    ScriptWrite,
    StorageKey,
)
from scanner.parties import Parties, registrable_domain

SANDBOX_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                # frames stay in the page's process, so one CDP session sees every
                # frame's Set-Cookie headers, blocked ones included
                "--disable-site-isolation-trials",
                "--disable-features=IsolateOrigins,site-per-process"]

# Reports every cookie a script writes, with the URL of the script (from the stack).
WRITE_HOOK = r"""
(() => {
  const report = (name, domain, api) => {
    let script = null;
    for (const line of (new Error().stack || "").split("\n").slice(2)) {
      const m = line.match(/(https?:\/\/[^\s)]+?):\d+:\d+/);
      if (m) { script = m[1]; break; }
    }
    try { window.__cgScanWrite({name: String(name || ""), domain: domain, script: script,
                                frame: location.href, api: api}); } catch (e) {}
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (desc && desc.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true, enumerable: desc.enumerable,
      get() { return desc.get.call(this); },
      set(value) {
        try {
          const text = String(value), domain = text.match(/;\s*domain=([^;]+)/i);
          report(text.split(";")[0].split("=")[0].trim(), domain ? domain[1].trim() : null,
                 "document.cookie");
        } catch (e) {}
        return desc.set.call(this, value);
      }
    });
  }
  if (window.cookieStore && window.cookieStore.set) {
    const original = window.cookieStore.set.bind(window.cookieStore);
    window.cookieStore.set = function (a, b) {
      const name = typeof a === "string" ? a : (a && a.name);
      report(name, typeof a === "object" && a ? a.domain || null : null, "cookieStore");
      return original(a, b);
    };
  }
})();
"""
STORAGE_KEYS = """async () => {
  const out = {host: location.hostname, local: [], session: [], idb: []};
  try { out.local = Object.keys(localStorage); } catch (e) {}
  try { out.session = Object.keys(sessionStorage); } catch (e) {}
  try { if (indexedDB.databases) out.idb = (await indexedDB.databases()).map(d => d.name); }
  catch (e) {}
  return out;
}"""


def chromium_path() -> str | None:
    """The system Chromium (or COOKIEGATE_CHROMIUM); None lets Playwright use its own."""
    return (os.environ.get("COOKIEGATE_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))


def parse_set_cookie(line: str, response_url: str, now: float,
                     blocked: str | None = None) -> HeaderCookie | None:
    """One Set-Cookie line as the browser would read it (name, domain, lifetime, flags)."""
    parts = [p.strip() for p in line.split(";")]
    if not parts or "=" not in parts[0]:
        return None
    name = parts[0].split("=", 1)[0].strip()
    if not name:
        return None
    host = urlsplit(response_url).hostname or ""
    attrs: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        attrs[key.strip().lower()] = value.strip()
    days: float | None = None
    if "max-age" in attrs:
        try:
            days = int(attrs["max-age"]) / 86400
        except ValueError:
            days = None
    elif attrs.get("expires"):
        try:
            days = (parsedate_to_datetime(attrs["expires"]).timestamp() - now) / 86400
        except (TypeError, ValueError, IndexError):
            days = None
    return HeaderCookie(
        name=name, domain=(attrs.get("domain") or host).lstrip(".").lower(),
        path=attrs.get("path") or "/", response_url=response_url, max_age_days=days,
        secure="secure" in attrs, http_only="httponly" in attrs,
        same_site=attrs.get("samesite", "").capitalize() or None, blocked=blocked)


class PageVisitor:
    """Visits pages in one browser context (one consent phase's visitor)."""

    def __init__(self, context: Any, phase: str, parties: Parties, page_timeout: float,
                 settle: float) -> None:
        self.context = context
        self.phase = phase
        self.parties = parties
        self.page_timeout = page_timeout
        self.settle = settle
        self.answered = False
        self._writes: list[ScriptWrite] = []

    @classmethod
    async def open(cls, browser: Any, phase: str, parties: Parties, page_timeout: float,
                   settle: float, ignore_https_errors: bool,
                   storage_state: Any = None) -> PageVisitor:
        """A fresh visitor; `storage_state` copies another visitor's cookies and storage (the
        phase's answer to the banner) into it."""
        context = await browser.new_context(ignore_https_errors=ignore_https_errors,
                                            viewport={"width": 1280, "height": 900},
                                            storage_state=storage_state)
        visitor = cls(context, phase, parties, page_timeout, settle)
        await context.expose_binding("__cgScanWrite", visitor._on_write)
        await context.add_init_script(WRITE_HOOK)
        return visitor

    def _on_write(self, source: Any, event: dict[str, Any]) -> None:
        self._writes.append(ScriptWrite(
            name=str(event.get("name") or "")[:200], domain=event.get("domain"),
            script_url=event.get("script"), frame_url=str(event.get("frame") or ""),
            api=str(event.get("api") or "document.cookie")))

    async def close(self) -> None:
        with suppress(Exception):  # a wedged context must not take the scan down with it
            await asyncio.wait_for(self.context.close(), 10)

    async def visit(self, url: str, depth: int, order: int) -> PageObservation:
        observation = PageObservation(url=url, phase=self.phase, depth=depth, order=order)
        try:
            await asyncio.wait_for(self._visit(observation),
                                   self.page_timeout + self.settle + 15)
        except TimeoutError:
            observation.error = observation.error or (
                f"the page did not finish within {self.page_timeout + self.settle:.0f} s")
        except Exception as exc:  # one failing page is reported, never a crashed scan
            observation.error = observation.error or _first_line(exc)
        return observation

    async def _visit(self, observation: PageObservation) -> None:
        page = await self.context.new_page()
        self._writes = []
        self._discard = False
        requests: dict[Any, RequestSeen] = {}
        extra: dict[str, dict[str, Any]] = {}
        urls: dict[str, str] = {}
        started = time.time()
        cdp = await self.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent",
               lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.responseReceived",
               lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
        cdp.on("Network.responseReceivedExtraInfo", lambda e: extra.__setitem__(e["requestId"], e))
        await cdp.send("Network.enable")

        def on_request(request: Any) -> None:
            host = urlsplit(request.url).hostname or ""
            if request.url.startswith(("http://", "https://")):
                requests[request] = RequestSeen(request.url, host, request.resource_type,
                                                request.resource_type in ("ping", "beacon"))

        def on_response(response: Any) -> None:
            seen = requests.get(response.request)
            if seen is None or seen.beacon:
                return
            size = response.headers.get("content-length")
            tiny = size is not None and size.isdigit() and int(size) <= 100
            if seen.resource_type == "image" and (tiny or response.status == 204):
                requests[response.request] = RequestSeen(seen.url, seen.host,
                                                          seen.resource_type, True)

        page.on("request", on_request)
        page.on("response", on_response)
        try:
            try:
                response = await page.goto(observation.url, wait_until="load",
                                           timeout=self.page_timeout * 1000)
            except Exception as exc:
                observation.error = _first_line(exc)
                response = None
            if response is not None:
                observation.status = response.status
                observation.final_url = page.url
                if not self.parties.is_first_party(urlsplit(page.url).hostname or ""):
                    await self._left_site(observation, page)
                    return
                kind = response.headers.get("content-type", "")
                observation.html = not kind or "html" in kind
                if response.status >= 400:
                    observation.error = f"HTTP {response.status}"
            if observation.error is None and observation.html:
                if not self.answered:
                    observation.banner = await answer_banner(page, self.phase)
                    self.answered = True
                await page.wait_for_timeout(self.settle * 1000)  # late writers
                try:
                    observation.links = await page.eval_on_selector_all(
                        "a[href], area[href]", "els => els.map(e => e.href)")
                except Exception:  # navigated away meanwhile
                    observation.links = []
            await self._collect(page, observation)
        finally:
            if not self._discard:
                observation.writes = list(self._writes)
                observation.requests = list(requests.values())
                observation.headers = _header_cookies(extra, urls, started)
            with suppress(Exception):  # closing a hung page may hang; the context goes later
                await asyncio.wait_for(page.close(), 5)

    async def _left_site(self, observation: PageObservation, page: Any) -> None:
        """A link of the site that lands on another site: reported as such, and what the
        other site set is forgotten, since it is not this site's doing. The page is closed
        first, so that nothing it still loads (a favicon, a late tag) sets more."""
        url = page.url
        observation.error = f"redirected off-site to {url[:200]}"
        other = registrable_domain(urlsplit(url).hostname or "")
        with suppress(Exception):
            await asyncio.wait_for(page.close(), 5)
        with suppress(Exception):
            await self.context.clear_cookies(domain=re.compile(rf"(^|\.){re.escape(other)}$"))
        self._writes = []
        self._discard = True

    async def state(self) -> Any:
        return await self.context.storage_state()

    async def _collect(self, page: Any, observation: PageObservation) -> None:
        for cookie in await self.context.cookies():
            observation.jar.append(JarCookie(
                name=cookie["name"], domain=cookie["domain"], path=cookie.get("path", "/"),
                expires=float(cookie.get("expires", -1)), http_only=bool(cookie.get("httpOnly")),
                secure=bool(cookie.get("secure")), same_site=cookie.get("sameSite")))
        for frame in page.frames:
            if not frame.url.startswith(("http://", "https://")):
                continue
            try:
                found = await asyncio.wait_for(frame.evaluate(STORAGE_KEYS), 3)
            except Exception:  # detached or busy frames: skip them
                continue
            for kind, key in (("localStorage", "local"), ("sessionStorage", "session"),
                              ("indexedDB", "idb")):
                observation.storage += [StorageKey(kind, str(name), found["host"])
                                        for name in found[key] if name is not None]


def _header_cookies(extra: dict[str, dict[str, Any]], urls: dict[str, str],
                    now: float) -> list[HeaderCookie]:
    found: list[HeaderCookie] = []
    for request_id, event in extra.items():
        url = urls.get(request_id)
        if not url:
            continue
        blocked_lines = {}
        for blocked in event.get("blockedCookies", []):
            reasons = ", ".join(blocked.get("blockedReasons", [])) or "blocked"
            blocked_lines[blocked.get("cookieLine", "")] = reasons
        headers = event.get("headers", {})
        raw = next((v for k, v in headers.items() if k.lower() == "set-cookie"), "")
        for line in filter(None, raw.split("\n")):
            parsed = parse_set_cookie(line, url, now, blocked_lines.get(line))
            if parsed is not None:
                found.append(parsed)
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
