"""One JSON error shape for the public API: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from cookiegate.errors import (
    Conflict,
    CookieGateError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)

STATUS = {InvalidInput: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409}
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
              415: "unsupported_media_type", 429: "too_many_requests"}


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _wants_json() -> bool:
    if request.path.endswith("/preferences"):  # the no-JavaScript page answers in HTML
        return False
    return request.path.startswith(("/cg/", "/api/")) or request.path.endswith(".json")


def init_app(app: Flask) -> None:
    @app.errorhandler(CookieGateError)
    def domain_error(exc: CookieGateError):
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        return error_response(status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            message = "the request body is too large"
        response = error_response(status, HTTP_CODES.get(status, "http_error"), message)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal_error",
                                  "something went wrong on our side; please try again")
        return "Internal server error", 500
