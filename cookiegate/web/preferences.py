"""GET/POST /cg/<site_key>/preferences: the preference page that works without JavaScript.

A plain form (CSRF-protected by flask-wtf) records the choice in the ledger with source
"preferences" and sends the visitor back to `next`, which must be a page of the site's own
domains. When the gateway runs on a subdomain of the site (consent.example.com for
example.com) it also stores the token in the site's first-party `cg_consent` cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from cookiegate.consent.operations import check_token, record_consent
from cookiegate.consent.submission import parse_submission
from cookiegate.consent.visitor import describe_visitor
from cookiegate.registry.matching import domain_covers
from cookiegate.sites.operations import PublishedSite
from cookiegate.sites.policy import pick_language, public_config
from cookiegate.web.public import _gpc, _language, _site
from cookiegate.web.runtime import runtime

bp = Blueprint("preferences", __name__, url_prefix="/cg/<site_key>")
ACTIONS = ("accept_all", "reject_all", "custom")


class PreferencesForm(FlaskForm):
    """Only the CSRF token is a WTForms field: the categories vary per site."""


def safe_next(site: PublishedSite, target: str | None) -> str | None:
    """`target` when it is an http(s) page on one of the site's domains, else None."""
    if not target or len(target) > 2048:
        return None
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    return target if any(domain_covers(d, host) for d in site.domains) else None


def _shared_cookie_domain(site: PublishedSite) -> str | None:
    """The site domain this gateway's host belongs to, if any: cookies set for it reach
    the site's own pages."""
    host = (request.host or "").rsplit(":", 1)[0].lower()
    matching = [d for d in site.domains if "." in d and domain_covers(d, host)]
    return max(matching, key=len) if matching else None


def _page(site: PublishedSite, form: PreferencesForm, choices: dict[str, bool],
          next_url: str | None, status: int = 200, saved: bool = False,
          error: str | None = None) -> Response:
    config = public_config(site, _language(site), _gpc())
    html = render_template("preferences.html", config=config, form=form, choices=choices,
                           next_url=next_url, saved=saved, error=error)
    return make_response(html, status)


def _current_choices(site: PublishedSite) -> dict[str, bool]:
    token = request.cookies.get("cg_consent")
    if token:
        found: dict[str, Any] = check_token(runtime().tokens, site, token)
        if found["valid"]:
            return dict(found["choices"])
    return {c["key"]: bool(c["necessary"]) for c in site.categories}


@bp.get("/preferences")
def show(site_key: str) -> Response:
    site = _site(site_key)
    return _page(site, PreferencesForm(), _current_choices(site),
                 safe_next(site, request.args.get("next")))


@bp.post("/preferences")
def save(site_key: str) -> BaseResponse:
    site = _site(site_key)
    form = PreferencesForm()
    next_url = safe_next(site, request.form.get("next"))
    if not form.validate_on_submit():
        return _page(site, PreferencesForm(), _current_choices(site), next_url, status=400,
                     error="This form expired or did not come from this page. Please choose "
                           "again.")
    action = request.form.get("action", "custom")
    if action not in ACTIONS:
        action = "custom"
    choices = {c["key"]: True if c["necessary"] else request.form.get(c["key"]) == "on"
               for c in site.categories}
    body = {"action": action, "choices": choices,
            "lang": pick_language(site, _language(site)), "page": next_url}
    token = request.cookies.get("cg_consent")
    if token:
        body["token"] = token
    submission = parse_submission(body, site, gpc_header=_gpc(), source="preferences")
    visitor = describe_visitor(request.remote_addr, request.headers.get("User-Agent"))
    rt = runtime()
    receipt = record_consent(rt.ledger, rt.tokens, rt.published, site, submission, visitor)
    response: BaseResponse = (redirect(next_url, code=303) if next_url else
                _page(site, PreferencesForm(), receipt.choices, None, saved=True))
    domain = _shared_cookie_domain(site)
    if domain:
        response.set_cookie("cg_consent", receipt.token, domain=domain, samesite="Lax",
                            secure=request.is_secure, httponly=False,
                            expires=receipt.expires_at)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Any) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return f"The form could not be checked: {exc.description}", 400
