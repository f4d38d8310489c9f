"""Serving public, cacheable documents: strong ETags, conditional GETs, brotli or gzip."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache

import brotli
from flask import Request, Response

MIN_COMPRESS = 256


@lru_cache(maxsize=256)
def _compressed(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=11))
    return gzip.compress(body, compresslevel=9, mtime=0)


def _pick_encoding(request: Request) -> str | None:
    accepted = request.accept_encodings
    if accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def cacheable(request: Request, body: bytes, mimetype: str, cache_control: str,
              vary: tuple[str, ...] = ()) -> Response:
    """A response that revalidates by ETag and is compressed when the client allows."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    encoding = _pick_encoding(request) if len(body) >= MIN_COMPRESS else None
    response = Response(status=200, mimetype=mimetype)
    response.set_etag(etag + (f"-{encoding}" if encoding else ""))
    response.headers["Cache-Control"] = cache_control
    response.vary.update(("Accept-Encoding", *vary))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.if_none_match.contains(etag + (f"-{encoding}" if encoding else "")):
        response.status_code = 304
        return response
    if encoding:
        response.set_data(_compressed(body, encoding))
        response.headers["Content-Encoding"] = encoding
    else:
        response.set_data(body)
    return response
