"""The `cookiegate` command: a Flask CLI group for operators and cron."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from cookiegate.clock import utcnow
from cookiegate.errors import CookieGateError
from cookiegate.runtime import Runtime


def _runtime() -> Runtime:
    return current_app.extensions["cookiegate"]


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a domain error into a one-line message and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CookieGateError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2026-01-31", param_hint=option
                                 ) from None


def _write(output: str | None, text: str) -> None:
    if output in (None, "-"):
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database (Alembic migrations)."""
    rt = _runtime()
    rt.database.upgrade()
    with rt.database.engine.begin() as conn:
        rt.ledger.open_all_lanes(conn)
    click.echo(f"Database ready: {rt.database.engine.url.render_as_string(hide_password=True)}")


# --- sites ----------------------------------------------------------------------------------

@click.group("sites")
def sites() -> None:
    """Create and list sites."""


@sites.command("create")
@click.argument("key")
@click.option("--name", required=True, help="Display name, shown in the policy.")
@click.option("--domain", "domains", multiple=True, required=True,
              help="A domain that counts as first party (repeat for several).")
@click.option("--language", "languages", multiple=True, help="Banner language (repeatable).")
@click.option("--accept-days", type=int, help="How long an acceptance lasts (default 182).")
@click.option("--refusal-days", type=int, help="How long a refusal lasts (default 182).")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Publish version 1 right away so the banner and API work.")
@with_appcontext
@domain_errors
def sites_create(key: str, name: str, domains: tuple[str, ...], languages: tuple[str, ...],
                 accept_days: int | None, refusal_days: int | None, publish: bool) -> None:
    """Create a site with the default categories."""
    from cookiegate.sites.operations import create_site, publish_site

    rt = _runtime()
    with rt.database.transaction() as session:
        lifetimes = {k: v for k, v in (("accept_lifetime_days", accept_days),
                                       ("refusal_lifetime_days", refusal_days)) if v is not None}
        site = create_site(session, key, name, domains, languages or ("en",), **lifetimes)
        rt.ledger.open_lanes(session.connection(), site.id, site.ledger_lanes)
        message = f"Created site {key} ({', '.join(site.domains)})"
        if publish:
            publication = publish_site(session, site)
            message += f"; published version {publication.config.version}"
    click.echo(message)


@sites.command("list")
@with_appcontext
def sites_list() -> None:
    """List sites with their domains and newest published version."""
    from cookiegate.sites.operations import list_sites

    with _runtime().database.session() as session:
        for site, version in list_sites(session):
            click.echo(f"{site.key}\t{site.name}\t{','.join(site.domains)}\t"
                       f"v{version if version else '-'}")


# --- registry -------------------------------------------------------------------------------

@click.group("registry")
def registry() -> None:
    """Import and export a site's cookie registry."""


@registry.command("import")
@click.argument("key")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "csv"]), default="auto",
              show_default=True)
@click.option("--replace", is_flag=True, help="Remove entries the file does not list.")
@click.option("--publish", "then_publish", is_flag=True, help="Publish right after importing.")
@with_appcontext
@domain_errors
def registry_import(key: str, file: str, fmt: str, replace: bool, then_publish: bool) -> None:
    """Import a registry file (registry export JSON, or CSV with a header row)."""
    from cookiegate.registry.operations import import_entries
    from cookiegate.registry.transfer import read_registry_csv, read_registry_json
    from cookiegate.sites.operations import get_site, publish_site

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from None
    if fmt == "auto":
        fmt = "json" if file.lower().endswith(".json") or text.lstrip()[:1] in "[{" else "csv"
    rt = _runtime()
    with rt.database.transaction() as session:
        site = get_site(session, key)
        categories = [c.key for c in site.categories]
        reader = read_registry_json if fmt == "json" else read_registry_csv
        entries = reader(text, categories, site.domains)
        summary = import_entries(session, site.id, entries, replace=replace)
        message = f"Imported {len(entries)} entries into {key}: {summary}"
        if then_publish:
            publication = publish_site(session, site)
            message += f"; published version {publication.config.version}"
        else:
            message += f" (not live until `cookiegate publish {key}`)"
    rt.published.forget(key)
    click.echo(message)


@registry.command("export")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--output", "-o", default="-", help="File to write (default: standard output).")
@with_appcontext
@domain_errors
def registry_export(key: str, fmt: str, output: str) -> None:
    """Export the registry as it stands (including unpublished edits)."""
    from cookiegate.registry.operations import entry_data, export_registry, list_entries
    from cookiegate.registry.transfer import write_registry_csv
    from cookiegate.sites.operations import get_site

    with _runtime().database.session() as session:
        site = get_site(session, key)
        entries = [entry_data(e) for e in list_entries(session, site.id)]
        if fmt == "csv":
            _write(output, write_registry_csv(entries))
        else:
            categories = [{"key": c.key, "necessary": c.necessary} for c in site.categories]
            document = export_registry(site.key, site.domains, categories,
                                       [e.as_export() for e in entries])
            _write(output, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@click.command("publish")
@click.argument("key")
@with_appcontext
@domain_errors
def publish(key: str) -> None:
    """Snapshot the site's configuration as a new version visitors will see."""
    from cookiegate.sites.operations import get_site, publish_site

    rt = _runtime()
    with rt.database.transaction() as session:
        publication = publish_site(session, get_site(session, key))
    rt.published.forget(key)
    config = publication.config
    if not publication.created:
        click.echo(f"Nothing changed since version {config.version}; nothing published.")
        return
    click.echo(f"Published {key} version {config.version} (sha256 {config.sha256}).")
    for change in publication.changes:
        click.echo(f"  - {change}")
    if publication.reprompt_reasons:
        click.echo("Visitors will be asked again: " + "; ".join(publication.reprompt_reasons))
    elif config.version > 1:
        click.echo("No material change: visitors keep their choices.")


# --- ledger and consent ---------------------------------------------------------------------

@click.group("ledger")
def ledger() -> None:
    """Check the consent ledger."""


@ledger.command("verify")
@click.option("--site", "site_key", help="Only this site.")
@with_appcontext
@domain_errors
def ledger_verify(site_key: str | None) -> None:
    """Exit 0 when every record is intact; otherwise name what broke and exit 1."""
    from cookiegate.sites.operations import get_site

    rt = _runtime()
    site_ids = None
    if site_key:
        with rt.database.session() as session:
            site_ids = [get_site(session, site_key).id]
    checked, problems = rt.ledger.verify(site_ids)
    if not problems:
        click.echo(f"Ledger intact: {checked} records verified.")
        return
    for problem in problems[:200]:
        click.echo(f"TAMPERED [{problem.kind}] {problem.message}", err=True)
    if len(problems) > 200:
        click.echo(f"... and {len(problems) - 200} more problems", err=True)
    click.echo(f"Ledger NOT intact: {len(problems)} problem(s) in {checked} records.", err=True)
    sys.exit(1)


@click.group("consent")
def consent() -> None:
    """Visitor rights: show, export and erase consent records."""


@consent.command("show")
@click.argument("consent_id")
@with_appcontext
@domain_errors
def consent_show(consent_id: str) -> None:
    """Print the visitor's whole history as JSON."""
    from cookiegate.consent.operations import describe_record
    from cookiegate.consent.submission import parse_consent_id

    rt = _runtime()
    with rt.database.engine.connect() as conn:
        chain = rt.ledger.history(conn, parse_consent_id(consent_id))
    if not chain:
        raise click.ClickException(f"no consent record {consent_id}")
    click.echo(json.dumps({"consent_id": consent_id,
                           "records": [describe_record(r) for r in chain]}, indent=2))


@consent.command("erase")
@click.argument("consent_id")
@with_appcontext
@domain_errors
def consent_erase(consent_id: str) -> None:
    """Erase the personal fields of the visitor's history; the ledger still verifies."""
    from cookiegate.consent.submission import parse_consent_id

    rt = _runtime()
    consent_id = parse_consent_id(consent_id)
    with rt.database.engine.connect() as conn:
        if rt.ledger.find(conn, consent_id) is None:
            raise click.ClickException(f"no consent record {consent_id}")
    erased = rt.ledger.erase(consent_id)
    click.echo(f"Erased personal fields of {len(erased)} record(s)"
               + ("" if erased else " (already erased)") + ".")


@consent.command("export")
@click.option("--site", "site_key", required=True)
@click.option("--from", "start", help="First day (inclusive), e.g. 2026-01-01.")
@click.option("--to", "end", help="Last day (inclusive), e.g. 2026-01-31.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--output", "-o", default="-")
@with_appcontext
@domain_errors
def consent_export(site_key: str, start: str | None, end: str | None, fmt: str,
                   output: str) -> None:
    """Export a site's consent records for a date range, for auditors."""
    from cookiegate.consent.export import export_csv, export_json
    from cookiegate.sites.operations import get_site

    since = _date(start, "--from")
    until = _date(end, "--to")
    if until is not None and len(end or "") <= 10:
        until += timedelta(days=1)  # a bare date means the whole of that day
    rt = _runtime()
    with rt.database.session() as session:
        site = get_site(session, site_key)
    writer = export_csv if fmt == "csv" else export_json
    with rt.database.engine.connect() as conn:
        chunks = writer(rt.ledger.records_between(conn, site.id, since, until), site.key)
        if output in (None, "-"):
            for chunk in chunks:
                click.echo(chunk, nl=False)
        else:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(chunks)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@with_appcontext
def purge(dry_run: bool) -> None:
    """Remove consent records older than each site's proof retention (for cron)."""
    from cookiegate.sites.operations import list_sites

    rt = _runtime()
    with rt.database.session() as session:
        targets = [(site.id, site.key, site.proof_retention_days)
                   for site, _ in list_sites(session)]
    total = 0
    for site_id, key, days in targets:
        cutoff = utcnow() - timedelta(days=days)
        removed = rt.ledger.purge(site_id, cutoff, dry_run=dry_run)
        count = sum(last - first + 1 for _, first, last in removed)
        total += count
        verb = "would remove" if dry_run else "removed"
        line = f"{key}: {verb} {count} record(s) older than {cutoff:%Y-%m-%d} ({days} days)"
        click.echo(line)
        if count and not dry_run:
            current_app.logger.warning("purge %s", line)
    click.echo(f"{'Would remove' if dry_run else 'Removed'} {total} record(s) in all.")


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Gateway port; the demo site "
              "uses the next one.")
@click.option("--host", default="127.0.0.1", show_default=True)
@with_appcontext
def demo(port: int, host: str) -> None:
    """Seed the demo site and serve the gateway plus a demo marketing page."""
    from cookiegate.demo.serve import serve_demo

    serve_demo(current_app._get_current_object(), host, port)  # type: ignore[attr-defined]


COMMANDS = (init_db, sites, registry, publish, ledger, consent, purge, demo)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from cookiegate import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_version_option=True,
                  help="CookieGate: cookie consent and website-tracking gateway.")
