"""Errors the domain raises; the web layer and the CLI turn them into statuses and messages."""

from __future__ import annotations


class CookieGateError(Exception):
    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(CookieGateError):
    """The caller sent something we cannot accept; the message says what and how to fix it."""

    code = "invalid_request"


class Unauthorized(CookieGateError):
    """A proof (a token) is missing or does not verify."""

    code = "unauthorized"


class NotFound(CookieGateError):
    code = "not_found"


class Conflict(CookieGateError):
    code = "conflict"


class Forbidden(CookieGateError):
    code = "forbidden"
