"""Finding a consent banner on a page and clicking its reject or accept button.

CookieGate's own banner first, then the known selectors of common platforms, then any
visible button or link whose text says "accept all" or "reject all" in a common language.
"""

from __future__ import annotations

import re
from typing import Any

# (platform, accept selector, reject selector)
KNOWN_BANNERS: list[tuple[str, str, str]] = [
    ("cookiegate", ".cg [data-cg-action=accept_all]", ".cg [data-cg-action=reject_all]"),
    ("onetrust", "#onetrust-accept-btn-handler", "#onetrust-reject-all-handler"),
    ("cookiebot", "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, "
                  "#CybotCookiebotDialogBodyButtonAccept",
     "#CybotCookiebotDialogBodyButtonDecline"),
    ("cookieyes", ".cky-btn-accept", ".cky-btn-reject"),
    ("klaro", ".cm-btn-accept-all, .cookie-notice .cm-btn-success", ".cm-btn-decline"),
    ("cookieconsent", "#cc-main [data-role=all], #c-p-bn",
     "#cc-main [data-role=necessary], #c-s-bn"),
    ("didomi", "#didomi-notice-agree-button", "#didomi-notice-disagree-button, "
                                              ".didomi-continue-without-agreeing"),
    ("usercentrics", "[data-testid=uc-accept-all-button]", "[data-testid=uc-deny-all-button]"),
]

ACCEPT_WORDS = [
    "accept all", "accept all cookies", "allow all", "allow all cookies", "accept", "i accept",
    "agree", "i agree", "accept cookies", "alle akzeptieren", "akzeptieren", "alle zulassen",
    "tout accepter", "accepter", "j'accepte", "aceptar todo", "aceptar todas", "aceptar",
    "accetta tutti", "accetta", "alles accepteren", "accepteren", "aceitar todos", "aceitar",
    "zaakceptuj wszystkie", "akceptuję", "godkänn alla", "acceptera alla", "accepter alle",
    "tillad alle", "hyväksy kaikki", "přijmout vše", "elfogadom", "összes elfogadása",
    "acceptă tot", "sprejmi vse", "prihvati sve", "приемам", "αποδοχή όλων", "nõustun",
    "sutinku", "piekrītu", "derbyn y cyfan", "glac leo go léir",
]
REJECT_WORDS = [
    "reject all", "reject", "decline", "decline all", "deny", "deny all", "refuse", "refuse all",
    "reject cookies", "only necessary", "necessary only", "only essential", "use necessary only",
    "alle ablehnen", "ablehnen", "nur notwendige", "tout refuser", "refuser", "continuer sans "
    "accepter", "rechazar todo", "rechazar todas", "rechazar", "rifiuta tutti", "rifiuta",
    "alles weigeren", "weigeren", "rejeitar todos", "rejeitar", "odrzuć wszystkie", "odrzuć",
    "avvisa alla", "neka alla", "afvis alle", "afvis", "hylkää kaikki", "odmítnout vše",
    "elutasítom", "összes elutasítása", "respinge tot", "zavrni vse", "odbij sve", "отказвам",
    "απόρριψη όλων", "keeldun", "atmesti visus", "noraidīt visus", "gwrthod y cyfan",
    "diúltaigh do gach ceann",
]


def _pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"^\s*({alternatives})\s*[.!]?\s*$", re.I)


ACCEPT = _pattern(ACCEPT_WORDS)
REJECT = _pattern(REJECT_WORDS)


async def _first_visible(frame: Any, selector: str) -> Any | None:
    try:
        locator = frame.locator(selector)
        for index in range(min(await locator.count(), 5)):
            item = locator.nth(index)
            if await item.is_visible():
                return item
    except Exception:  # a detached frame or a selector the page breaks: not a banner
        return None
    return None


async def find_banner(page: Any, choice: str | None) -> tuple[str, Any | None]:
    """(platform, the button to click for `choice` — "accept"/"reject" — or None)."""
    for frame in page.frames:
        for platform, accept, reject in KNOWN_BANNERS:
            selector = accept if choice != "reject" else reject
            found = await _first_visible(frame, selector)
            if found is not None:
                return platform, found
    words = REJECT if choice == "reject" else ACCEPT
    for frame in page.frames:
        try:
            buttons = frame.get_by_role("button", name=words).or_(
                frame.get_by_role("link", name=words))
            for index in range(min(await buttons.count(), 5)):
                item = buttons.nth(index)
                if await item.is_visible():
                    return "by-text", item
        except Exception:  # detached frames and the like
            continue
    return "none-found", None


async def answer_banner(page: Any, phase: str, timeout_ms: int = 5000) -> str:
    """Click reject (phase reject) or accept all (phase accept); in phase none only look.

    Returns what happened: the platform's name, "none-found" or "click-failed: ...".
    """
    choice = {"reject": "reject", "accept": "accept"}.get(phase)
    platform, button = "none-found", None
    for _ in range(max(1, timeout_ms // 500)):  # banners often appear a moment after load
        platform, button = await find_banner(page, choice or "accept")
        if button is not None:
            break
        await page.wait_for_timeout(500)
    if button is None or choice is None:
        return platform
    try:
        await button.click(timeout=3000)
    except Exception as exc:  # covered, detached, or moved away under the pointer
        return f"click-failed: {str(exc).splitlines()[0][:120]}"
    return platform
