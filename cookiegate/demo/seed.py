"""The demo site: a marketing site with the cookies real sites carry, and their real providers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cookiegate.consent.ledger import Ledger
from cookiegate.registry.operations import import_entries
from cookiegate.registry.transfer import validate_entry
from cookiegate.sites.models import Site
from cookiegate.sites.operations import Publication, create_site, publish_site

DEMO_KEY = "demo"

DEMO_REGISTRY: list[dict[str, Any]] = [
    {"name": "PHPSESSID", "provider": "This site (PHP)", "category": "necessary",
     "retention": "session",
     "purpose": "Keeps your session on the server, for example what is in your basket."},
    {"name": "cg_consent", "provider": "This site (CookieGate)", "category": "necessary",
     "retention": "6 months",
     "purpose": "Remembers your cookie choices and the signed proof of them."},
    {"name": "cg_checked", "kind": "sessionStorage", "provider": "This site (CookieGate)",
     "category": "necessary", "retention": "session",
     "purpose": "Notes that the gateway confirmed your stored choice in this browser session."},
    {"name": "_ga", "provider": "Google Analytics", "category": "analytics",
     "retention": "2 years", "purpose": "Distinguishes visitors to count unique visits."},
    {"name": "_ga_", "match": "prefix", "provider": "Google Analytics", "category": "analytics",
     "retention": "2 years", "purpose": "Keeps the state of a visit for Google Analytics 4."},
    {"name": "__utma", "provider": "Google Analytics (Urchin)", "category": "analytics",
     "retention": "2 years",
     "purpose": "Distinguishes visitors and visits (older ga.js tracking code)."},
    {"name": "IDE", "domain": "doubleclick.net", "provider": "Google DoubleClick",
     "category": "marketing", "retention": "13 months",
     "purpose": "Measures and targets ads: records what you do after seeing or clicking an ad."},
    {"name": "YSC", "domain": "youtube.com", "provider": "YouTube (Google)",
     "category": "marketing", "retention": "session",
     "purpose": "Registers a unique id to count which embedded YouTube videos you watched."},
    {"name": "VISITOR_INFO1_LIVE", "domain": "youtube.com", "provider": "YouTube (Google)",
     "category": "marketing", "retention": "180 days",
     "purpose": "Estimates your bandwidth for embedded videos and is used for advertising."},
    {"name": "GPS", "domain": "youtube.com", "provider": "YouTube (Google)",
     "category": "marketing", "retention": "30 minutes",
     "purpose": "Registers a unique id on mobile devices to track location."},
    {"name": "PREF", "domain": "youtube.com", "provider": "YouTube (Google)",
     "category": "preferences", "retention": "8 months",
     "purpose": "Stores player preferences such as language and playback settings."},
    {"name": "tfw_exp", "domain": "twitter.com", "provider": "X (Twitter)",
     "category": "preferences", "retention": "14 days",
     "purpose": "Remembers settings of embedded posts and timelines."},
]


def seed_demo(session: Session, ledger: Ledger, domains: list[str]) -> Publication:
    """Create (or refresh) the demo site and publish it; safe to run again."""
    site = session.scalar(select(Site).where(Site.key == DEMO_KEY))
    if site is None:
        site = create_site(session, DEMO_KEY, "Acme Demo Shop", domains, ["en"])
        ledger.open_lanes(session.connection(), site.id, site.ledger_lanes)
    else:
        for domain in domains:
            if domain not in site.domains:
                site.domains = [*site.domains, domain]
    categories = [c.key for c in site.categories]
    entries = [validate_entry(raw, categories, site.domains) for raw in DEMO_REGISTRY]
    import_entries(session, site.id, entries)
    return publish_site(session, site)
