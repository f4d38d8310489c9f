"""What the browser observed on one page in one consent phase: plain data, no browser.

The Playwright driver (browser.py) fills these in; analysis.py turns them into the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("none", "reject", "accept")


@dataclass(frozen=True)
class JarCookie:
    """A cookie in the browser context's jar after the visit."""

    name: str
    domain: str  # as the browser stores it: ".example.com" for domain cookies
    path: str
    expires: float  # epoch seconds; -1 for a session cookie
    http_only: bool
    secure: bool
    same_site: str | None


@dataclass(frozen=True)
class HeaderCookie:
    """One Set-Cookie header line of a response, in any frame; `blocked` says why the
    browser refused it (None when stored)."""

    name: str
    domain: str  # the Domain attribute, else the response's host
    path: str
    response_url: str
    max_age_days: float | None  # from Max-Age or Expires; None for a session cookie
    secure: bool
    http_only: bool
    same_site: str | None
    blocked: str | None = None


@dataclass(frozen=True)
class ScriptWrite:
    """A cookie written through document.cookie or cookieStore, with the writing script."""

    name: str
    domain: str | None  # the Domain attribute written, if any
    script_url: str | None
    frame_url: str
    api: str  # "document.cookie" | "cookieStore"


@dataclass(frozen=True)
class StorageKey:
    kind: str  # localStorage | sessionStorage | indexedDB
    name: str
    origin_host: str


@dataclass(frozen=True)
class RequestSeen:
    url: str
    host: str
    resource_type: str
    beacon: bool  # a pixel or beacon-like hit


@dataclass
class PageObservation:
    url: str
    phase: str
    depth: int
    status: int | None = None
    error: str | None = None
    final_url: str | None = None
    banner: str | None = None
    jar: list[JarCookie] = field(default_factory=list)
    headers: list[HeaderCookie] = field(default_factory=list)
    writes: list[ScriptWrite] = field(default_factory=list)
    storage: list[StorageKey] = field(default_factory=list)
    requests: list[RequestSeen] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    html: bool = True
    order: int = 0  # visit order, for "first seen"
