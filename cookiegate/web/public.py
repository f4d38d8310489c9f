"""The public API under /cg/<site_key>/, embedded on the sites' own pages. Thin views only."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)

from cookiegate.banner.assets import banner_script, banner_stylesheet
from cookiegate.canonical import JSONDecodeError, canonical_bytes, loads
from cookiegate.consent.operations import check_token, record_consent, visitor_history
from cookiegate.consent.submission import parse_consent_id, parse_submission
from cookiegate.consent.visitor import describe_visitor
from cookiegate.errors import Forbidden, InvalidInput
from cookiegate.registry.matching import domain_covers
from cookiegate.registry.operations import export_registry
from cookiegate.sites.operations import PublishedSite
from cookiegate.sites.policy import (
    available_languages,
    banner_config,
    policy_document,
    public_config,
)
from cookiegate.web.delivery import cacheable
from cookiegate.web.runtime import runtime

bp = Blueprint("public", __name__, url_prefix="/cg/<site_key>")

BANNER_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
CONFIG_CACHE = "public, max-age=60, stale-while-revalidate=600"


def _site(site_key: str) -> PublishedSite:
    return runtime().published.get(site_key)


def _gpc() -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def _language(site: PublishedSite) -> str:
    requested = request.args.get("lang")
    if requested:
        return requested
    # Accept-Language in the visitor's order; "cy-GB" is served by "cy" before "en;q=0.5"
    offered = {lang.lower(): lang for lang in available_languages(site)}
    for value, _quality in request.accept_languages:
        tag = value.lower()
        found = offered.get(tag) or offered.get(tag.split("-", 1)[0])
        if found:
            return found
    return site.languages[0]


def _allowed_origin(site: PublishedSite) -> str | None:
    """The request's Origin when it is one of the site's domains (or a subdomain)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    host = origin.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]").lower()
    if any(domain_covers(domain, host) for domain in site.domains):
        return origin
    raise Forbidden(f"origin {origin[:200]!r} is not one of this site's domains",
                    code="origin_not_allowed")


def _with_cors(response: Response, origin: str | None) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    return response


def _json_body() -> Any:
    if request.mimetype not in ("application/json", "text/plain", ""):
        raise InvalidInput("send the body as JSON (Content-Type: application/json)",
                           code="unsupported_media_type")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise InvalidInput("the request body is empty; send a JSON object", code="invalid_body")
    try:
        return loads(raw)
    except JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}",
                           code="malformed_json") from None


@bp.get("/banner.js")
def banner_js(site_key: str) -> Response:
    site = _site(site_key)
    config = banner_config(site, _language(site), _gpc())
    script = banner_script(json.dumps(config, separators=(",", ":"), ensure_ascii=False))
    return cacheable(request, script.encode(), "text/javascript", BANNER_CACHE,
                     vary=("Accept-Language", "Sec-GPC"))


@bp.get("/banner.css")
def banner_css(site_key: str) -> Response:
    site = _site(site_key)
    return cacheable(request, banner_stylesheet(site.body["theme"]).encode(), "text/css",
                     BANNER_CACHE)


@bp.get("/embed")
def embed_placeholder(site_key: str) -> Response:
    """What a blocked iframe shows in its own box until its category is allowed."""
    site = _site(site_key)
    config = public_config(site, _language(site), False)
    category = next((c for c in config["categories"] if c["key"] == request.args.get("c")),
                    None)
    if category is None:
        raise InvalidInput("c must be one of this site's categories", code="unknown_category")
    html = render_template("embed.html", lang=config["lang"], texts=config["texts"],
                           category=category["key"], name=category["name"])
    response = cacheable(request, html.encode(), "text/html", CONFIG_CACHE,
                         vary=("Accept-Language",))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; "
        "form-action 'none'")
    del response.headers["Access-Control-Allow-Origin"]
    return response


@bp.get("/config.json")
def config_json(site_key: str) -> Response:
    site = _site(site_key)
    body = json.dumps(public_config(site, _language(site), _gpc()), ensure_ascii=False)
    return cacheable(request, body.encode(), "application/json", CONFIG_CACHE,
                     vary=("Accept-Language", "Sec-GPC"))


def _preflight(site_key: str, method: str, headers: str) -> Response:
    origin = _allowed_origin(_site(site_key))
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = method
    response.headers["Access-Control-Allow-Headers"] = headers
    response.headers["Access-Control-Max-Age"] = "86400"
    return _with_cors(response, origin)


@bp.route("/consent", methods=["OPTIONS"], provide_automatic_options=False)
def consent_preflight(site_key: str) -> Response:
    return _preflight(site_key, "POST", "Content-Type")


@bp.route("/consent/<consent_id>", methods=["OPTIONS"], provide_automatic_options=False)
def history_preflight(site_key: str, consent_id: str) -> Response:
    return _preflight(site_key, "GET", "Authorization")


@bp.post("/consent")
def post_consent(site_key: str) -> Response:
    site = _site(site_key)
    origin = _allowed_origin(site)
    request.max_content_length = current_app.config["MAX_CONSENT_BYTES"]
    submission = parse_submission(_json_body(), site, gpc_header=_gpc())
    visitor = describe_visitor(request.remote_addr, request.headers.get("User-Agent"))
    rt = runtime()
    receipt = record_consent(rt.ledger, rt.tokens, rt.published, site, submission, visitor)
    headers = {"Cache-Control": "no-store"}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    if origin:
        headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    # Built directly rather than through jsonify: this is the hottest response we send.
    return Response(canonical_bytes(receipt.as_json()), status=201, headers=headers,
                    mimetype="application/json")


@bp.post("/consent/verify")
def verify_token(site_key: str) -> Response:
    """Whether the banner may trust the visitor's stored token (no database read)."""
    site = _site(site_key)
    origin = _allowed_origin(site)
    body = _json_body()
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidInput("send {\"token\": \"<the cg_consent token>\"}", code="invalid_token")
    response = jsonify(check_token(runtime().tokens, site, token))
    response.headers["Cache-Control"] = "no-store"
    return _with_cors(response, origin)


@bp.get("/consent/<consent_id>")
def consent_history(site_key: str, consent_id: str) -> Response:
    site = _site(site_key)
    origin = _allowed_origin(site)
    consent_id = parse_consent_id(consent_id)
    token = request.args.get("token")
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    rt = runtime()
    history = visitor_history(rt.ledger, rt.tokens, site, consent_id, token)
    response = jsonify({"site": site.key, "consent_id": consent_id, "records": history})
    response.headers["Cache-Control"] = "no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="consent-{consent_id}.json"')
    return _with_cors(response, origin)


@bp.get("/policy")
def policy(site_key: str) -> Response | str:
    site = _site(site_key)
    document = policy_document(site, _language(site))
    if request.args.get("format") == "json":
        response = jsonify(document)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    template = "policy_snippet.html" if request.args.get("embed") else "policy.html"
    html = render_template(template, policy=document)
    return cacheable(request, html.encode(), "text/html", CONFIG_CACHE,
                     vary=("Accept-Language",))


@bp.get("/registry.json")
def registry_json(site_key: str) -> Response:
    site = _site(site_key)
    document = export_registry(site.key, site.domains, site.categories, site.body["entries"])
    return cacheable(request, json.dumps(document, ensure_ascii=False).encode(),
                     "application/json", CONFIG_CACHE)
