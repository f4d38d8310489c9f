"""The visitor's consent token: a signed, timestamped statement of their choice.

Signed with itsdangerous (HMAC-SHA256) under a purpose-specific salt. Several keys may be
configured, newest first: the newest signs, every one verifies, so keys rotate without
logging every visitor out of their choice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes

from cookiegate.canonical import canonical_json, loads

SALT = "cookiegate.consent-token.v1"


@dataclass(frozen=True)
class ConsentToken:
    consent_id: str
    site: str
    choices: dict[str, bool]
    version: int
    issued_at: datetime


class InvalidToken(Exception):
    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class _CompactJSON:
    """The JSON itsdangerous puts inside a token, written by orjson."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return canonical_json(obj)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return loads(text)


class _TokenSerializer(URLSafeTimedSerializer):
    """URL-safe JSON without the zlib attempt: a consent token is too small to shrink, and
    the attempt cost a quarter of issuing one. Reading still accepts compressed tokens."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(canonical_json(obj).encode())


class _TokenSigner(TimestampSigner):
    """Derives each key once per process: itsdangerous derives it anew for every token."""

    _derived: dict[tuple[bytes, bytes], bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        derived = self._derived.get((key, self.salt))
        if derived is None:
            derived = self._derived[(key, self.salt)] = super().derive_key(key)
        return derived


class ConsentTokens:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed to sign consent tokens")
        # itsdangerous signs with the LAST key of the list and verifies with all of them.
        self._serializer = _TokenSerializer(
            list(reversed(keys)), salt=SALT, serializer=_CompactJSON, signer=_TokenSigner,
            signer_kwargs={"digest_method": hashlib.sha256})

    def issue(self, consent_id: str, site: str, choices: dict[str, bool], version: int) -> str:
        payload = {"id": consent_id, "s": site, "v": version,
                   "c": {key: 1 if value else 0 for key, value in choices.items()}}
        return self._serializer.dumps(payload)

    def read(self, token: str, max_age_days: float | None = None) -> ConsentToken:
        """Verify and decode; `max_age_days` also rejects tokens older than that."""
        max_age = None if max_age_days is None else int(max_age_days * 86400)
        try:
            payload, issued = self._serializer.loads(token, max_age=max_age, return_timestamp=True)
        except SignatureExpired:
            raise InvalidToken("the consent token has expired", expired=True) from None
        except BadSignature:
            raise InvalidToken("the consent token is not valid") from None
        return self._decode(payload, issued)

    @staticmethod
    def _decode(payload: Any, issued: datetime) -> ConsentToken:
        try:
            return ConsentToken(consent_id=str(payload["id"]), site=str(payload["s"]),
                                version=int(payload["v"]),
                                choices={k: bool(v) for k, v in payload["c"].items()},
                                issued_at=issued.astimezone(UTC).replace(tzinfo=None))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidToken("the consent token is not valid") from None


def lifetime_days(choices: dict[str, bool], necessary: Sequence[str], accept_days: int,
                  refusal_days: int) -> int:
    """A choice that accepts anything non-necessary lives as long as an acceptance."""
    accepted = any(value for key, value in choices.items() if key not in necessary)
    return accept_days if accepted else refusal_days


def expires_at(created_at: datetime, days: int) -> datetime:
    return created_at + timedelta(days=days)
