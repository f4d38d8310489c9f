"""Recording a visitor's choice and answering their requests about it (access, export, erase)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cookiegate.canonical import loads
from cookiegate.clock import isoformat, utcnow
from cookiegate.consent.ledger import Ledger
from cookiegate.consent.submission import ConsentSubmission
from cookiegate.consent.tokens import ConsentTokens, InvalidToken, expires_at, lifetime_days
from cookiegate.consent.visitor import Visitor
from cookiegate.errors import InvalidInput, NotFound, Unauthorized
from cookiegate.sites.operations import PublishedSite, PublishedSites


@dataclass(frozen=True)
class ConsentReceipt:
    consent_id: str
    previous_consent_id: str | None
    token: str
    choices: dict[str, bool]
    version: int
    created_at: datetime
    expires_at: datetime
    gpc: bool
    replayed: bool

    def as_json(self) -> dict[str, Any]:
        return {"consent_id": self.consent_id, "previous_consent_id": self.previous_consent_id,
                "token": self.token, "choices": self.choices, "version": self.version,
                "created_at": isoformat(self.created_at),
                "expires_at": isoformat(self.expires_at), "gpc": self.gpc}


def _necessary(site: PublishedSite) -> list[str]:
    return [c["key"] for c in site.categories if c["necessary"]]


def record_consent(ledger: Ledger, tokens: ConsentTokens, published: PublishedSites,
                   site: PublishedSite, submission: ConsentSubmission,
                   visitor: Visitor) -> ConsentReceipt:
    """Store the choice in the ledger and hand back the signed token that proves it."""
    shown = site
    if submission.version is not None and submission.version != site.version:
        try:
            shown = published.version(site.key, submission.version)
        except NotFound:
            raise InvalidInput(f"version {submission.version} was never published for this "
                               f"site (the newest is {site.version})",
                               code="invalid_version") from None
    previous = None
    if submission.token:
        try:
            earlier = tokens.read(submission.token)
        except InvalidToken:
            earlier = None  # a stale or foreign cookie: the new choice simply starts afresh
        if earlier is not None and earlier.site == site.key:
            previous = earlier.consent_id
    appended = ledger.append(site.site_id, site.ledger_lanes, submission, shown.version,
                             shown.sha256, visitor, previous)
    row = appended.record
    choices = loads(row["choices"]) if appended.replayed else submission.choices
    days = lifetime_days(choices, _necessary(site), site.accept_lifetime_days,
                         site.refusal_lifetime_days)
    return ConsentReceipt(
        consent_id=row["consent_id"], previous_consent_id=row["previous_consent_id"],
        token=tokens.issue(row["consent_id"], site.key, choices, row["config_version"]),
        choices=choices, version=row["config_version"], created_at=row["created_at"],
        expires_at=expires_at(row["created_at"], days), gpc=bool(row["gpc"]),
        replayed=appended.replayed,
    )


def check_token(tokens: ConsentTokens, site: PublishedSite, token: str) -> dict[str, Any]:
    """Whether a stored token still proves a choice for this site, and if so which."""
    try:
        proof = tokens.read(token)
    except InvalidToken as exc:
        return {"valid": False, "reason": "expired" if exc.expired else "invalid"}
    if proof.site != site.key:
        return {"valid": False, "reason": "other_site"}
    days = lifetime_days(proof.choices, _necessary(site), site.accept_lifetime_days,
                         site.refusal_lifetime_days)
    ends = expires_at(proof.issued_at, days)
    if ends <= utcnow():
        return {"valid": False, "reason": "expired"}
    return {"valid": True, "consent_id": proof.consent_id, "choices": proof.choices,
            "version": proof.version, "expires_at": isoformat(ends),
            "reprompt": proof.version < site.prompt_version}


def describe_record(row: dict[str, Any], site_key: str | None = None) -> dict[str, Any]:
    """A ledger record as the visitor, an auditor or an export sees it."""
    described = {
        "consent_id": row["consent_id"],
        "previous_consent_id": row["previous_consent_id"],
        "created_at": isoformat(row["created_at"]),
        "action": row["action"],
        "choices": loads(row["choices"]),
        "config_version": row["config_version"],
        "config_sha256": row["config_sha256"],
        "language": row["language"],
        "source": row["source"],
        "gpc": bool(row["gpc"]),
        "page_url": row["page_url"],
        "ip_truncated": row["ip_truncated"],
        "user_agent": {"family": row["ua_family"], "os": row["ua_os"],
                       "device": row["ua_device"]},
        "erased": row["erased_at"] is not None,
        "record_hash": row["record_hash"],
    }
    if site_key is not None:
        described = {"site": site_key, **described}
    return described


def visitor_history(ledger: Ledger, tokens: ConsentTokens, site: PublishedSite, consent_id: str,
                    token: str | None) -> list[dict[str, Any]]:
    """The history a token's holder may see: their own chain of choices, and nothing else."""
    if not token:
        raise Unauthorized("send the consent token as 'Authorization: Bearer <token>' or "
                           "?token=", code="token_required")
    try:
        proof = tokens.read(token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc), code="invalid_token") from None
    if proof.site != site.key:
        raise NotFound("no consent record with this id for this token", code="consent_not_found")
    with ledger.engine.connect() as conn:
        chain = ledger.history(conn, proof.consent_id)
    if not any(r["consent_id"] == consent_id for r in chain):
        raise NotFound("no consent record with this id for this token", code="consent_not_found")
    return [describe_record(r) for r in chain]
