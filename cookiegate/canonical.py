"""Canonical JSON: sorted keys, no spaces, UTF-8. What every hash and signature is taken over.

orjson writes it about twenty times faster than the standard library, and the consent path
serialises several documents per request.
"""

from __future__ import annotations

from typing import Any

import orjson


def canonical_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def canonical_json(value: Any) -> str:
    return canonical_bytes(value).decode()


loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError
