"""Report writers for the scanner: check a report against its JSON Schema, then write it as JSON,
as one self-contained HTML page for people, or as JUnit XML for CI.

A report is the plain dict analysis.py builds (SPEC "Scanner", `schema_version` 1). This module
only reads it: no browser, no network, and no import of the `cookiegate` service.
"""

from __future__ import annotations

import functools
import html
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jsonschema

SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "report.schema.json"

PHASES = ("none", "reject", "accept")
SEVERITIES = ("high", "medium", "low")
# Presentation order: what visitors are most exposed to (tracking without or against their
# choice) comes first, bookkeeping problems in the registry last.
FINDING_KINDS = (
    "pre_consent",
    "ignored_refusal",
    "undeclared",
    "insecure",
    "expiry_mismatch",
    "category_mismatch",
    "stale",
)

KIND_TITLES: dict[str, str] = {
    "pre_consent": "Set before consent",
    "ignored_refusal": "Set after the visitor refused",
    "undeclared": "Not in the cookie registry",
    "insecure": "Missing security attributes",
    "expiry_mismatch": "Kept longer than declared",
    "category_mismatch": "Category differs from known use",
    "stale": "Declared but never seen",
}

KIND_EXPLANATIONS: dict[str, str] = {
    "pre_consent": (
        "A cookie or tracker that is not strictly necessary was already active before the "
        "visitor made any choice in the consent banner, although it needs their consent first."
    ),
    "ignored_refusal": (
        "A cookie or tracker that is not strictly necessary was still set after the visitor "
        "clicked reject, so their refusal was not respected."
    ),
    "undeclared": (
        "The site stores this cookie or item in the browser, but it is missing from the cookie "
        "registry, so the banner and cookie policy do not tell visitors about it."
    ),
    "insecure": (
        "The cookie lacks an attribute it should carry, for example a third-party cookie sent "
        "without Secure, which lets it leak over unencrypted connections."
    ),
    "expiry_mismatch": (
        "The browser was told to keep this cookie much longer than the retention period the "
        "registry declares to visitors."
    ),
    "category_mismatch": (
        "The registry files this cookie under a different category than the known-cookie "
        "database does, so visitors may be agreeing to a different purpose than the real one."
    ),
    "stale": (
        "This registry entry was not seen on any scanned page in any consent state, so the "
        "cookie policy may describe something the site no longer uses."
    ),
}

PHASE_LABELS: dict[str, str] = {
    "none": "none: before any choice",
    "reject": "reject: after rejecting",
    "accept": "accept: after accepting all",
}

# Enough problems to fix a broken report in one go, few enough to read in a terminal.
MAX_PROBLEMS = 10
_MAX_MESSAGE = 200

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters XML 1.0 cannot carry at all, not even escaped; untrusted pages and error messages
# may contain them and would otherwise make the JUnit file unparseable.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ReportError(ValueError):
    """The report does not follow the schema, or cannot be written as JSON.

    `problems` holds every problem found, each as "JSON path: what is wrong"; the message shows
    the first `MAX_PROBLEMS` of them.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


# --------------------------------------------------------------------------- schema


def load_schema() -> dict[str, Any]:
    """The report's JSON Schema as bundled in the package (a fresh dict each call)."""
    text = resources.files("scanner").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    # Built once: a scan writes up to three reports from the same dict.
    return jsonschema.Draft202012Validator(load_schema())


def validate_report(report: dict[str, Any]) -> None:
    """Raise `ReportError` naming the JSON paths of the first problems unless `report` is a
    valid `schema_version` 1 report."""
    errors = sorted(_validator().iter_errors(report), key=_error_order)
    problems: list[str] = []
    for error in errors:
        for problem in _describe(error):
            # `required` yields one error per missing key, but _describe lists them all.
            if problem not in problems:
                problems.append(problem)
    if not problems:
        return
    shown = problems[:MAX_PROBLEMS]
    lines = [f"report does not match schema_version {SCHEMA_VERSION} ({len(problems)} problems):"]
    lines += [f"  {problem}" for problem in shown]
    if len(problems) > len(shown):
        lines.append(f"  ... and {len(problems) - len(shown)} more")
    raise ReportError("\n".join(lines), problems)


def _error_order(error: jsonschema.ValidationError) -> tuple[tuple[int, int, str], ...]:
    # Document order; list indexes and keys are tagged so that they never compare directly.
    return tuple(
        (0, part, "") if isinstance(part, int) else (1, 0, str(part))
        for part in error.absolute_path
    )


def _describe(error: jsonschema.ValidationError) -> list[str]:
    path = error.json_path
    instance = error.instance
    # jsonschema puts missing and unexpected keys on the enclosing object; point at the key
    # itself so the path says exactly what to add or remove.
    if error.validator == "required" and isinstance(instance, dict):
        missing = [key for key in error.validator_value if key not in instance]
        return [f"{_child_path(path, key)}: required key is missing" for key in missing]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [key for key in instance if key not in known]
        return [f"{_child_path(path, str(key))}: unexpected key" for key in extra]
    message = error.message
    if len(message) > _MAX_MESSAGE:
        # Messages repeat the offending value, which may be a whole page list.
        message = message[: _MAX_MESSAGE - 3] + "..."
    return [f"{path}: {message}"]


def _child_path(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


# --------------------------------------------------------------------------- JSON


def dumps_report(report: dict[str, Any]) -> str:
    """The validated report as JSON text (indent 2, non-ASCII kept, trailing newline)."""
    validate_report(report)
    try:
        text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        # The schema accepts any float, but NaN and infinities are not JSON.
        raise ReportError(f"report cannot be written as JSON: {exc}") from exc
    return text + "\n"


def write_json(report: dict[str, Any], destination: str) -> None:
    """Validate `report`, then write it as UTF-8 JSON to the file `destination` ("-": stdout).

    Nothing is written when the report is invalid, so an earlier good file is not truncated.
    """
    text = dumps_report(report)
    if destination == "-":
        _write_stdout(text)
        return
    with open(destination, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _write_stdout(text: str) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # Through the byte stream, so the JSON is UTF-8 even under a C or Windows console locale.
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


# --------------------------------------------------------------------------- shared helpers


def _ordered_kinds(kinds: Iterable[str]) -> list[str]:
    wanted = set(kinds)
    return [kind for kind in FINDING_KINDS if kind in wanted]


def _ordered_phases(report: Mapping[str, Any]) -> list[str]:
    # The requested phases first, then any a page was visited in without being listed.
    seen = list(report["coverage"]["phases"])
    for page in report["pages"]:
        if page["phase"] not in seen:
            seen.append(page["phase"])
    return sorted(seen, key=PHASES.index)


def _page_failed(page: Mapping[str, Any]) -> bool:
    return page["error"] is not None


def _severity_rank(finding: Mapping[str, Any]) -> int:
    return SEVERITIES.index(finding["severity"])


def _duration(report: Mapping[str, Any]) -> float | None:
    try:
        started = datetime.fromisoformat(report["started_at"])
        finished = datetime.fromisoformat(report["finished_at"])
        seconds = (finished - started).total_seconds()
    except (TypeError, ValueError):
        # Unparseable, or one timestamp has an offset and the other does not.
        return None
    return seconds if seconds >= 0 else None


def _format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _plural(count: int, unit: str, units: str | None = None) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {units or unit + 's'}"


def _format_days(days: float) -> str:
    if days <= 0:
        # A Set-Cookie with a past expiry deletes the cookie rather than storing it.
        return "already expired"
    if days < 1 / 24:
        return _plural(max(1, round(days * 24 * 60)), "minute")
    if days < 1:
        return _plural(round(days * 24), "hour")
    text = _plural(round(days), "day")
    if days >= 365:
        text += f" (about {days / 365:.1f} years)"
    return text


def _finding_evidence(finding: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Cookie or tracker", finding["cookie"]),
        ("Phase", finding["phase"] or "any"),
        ("Page", finding["url"] or "-"),
        ("Set by", finding["set_by"] or "-"),
        ("Detail", finding["detail"]),
    ]


# --------------------------------------------------------------------------- HTML

_CSS = """
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --stripe: #f6f8fa;
  --link: #0550ae; --accent: #0969da;
  --high-bg: #ffebe9; --high-fg: #82071e; --medium-bg: #fff1c2; --medium-fg: #6c4400;
  --low-bg: #ddf4ff; --low-fg: #0a3069; --bad: #b3261e; --ok: #1a7f37;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --stripe: #151b23;
    --link: #79b8ff; --accent: #4493f8;
    --high-bg: #5d1219; --high-fg: #ffdcd7; --medium-bg: #4b3500; --medium-fg: #ffe7a3;
    --low-bg: #0c2d6b; --low-fg: #cae8ff; --bad: #ff8182; --ok: #56d364;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 78rem; padding: 1.5rem; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 .5rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.1rem; margin: 1.75rem 0 .25rem; }
a { color: var(--link); }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.muted, .explain { color: var(--muted); }
.explain { margin: 0 0 .5rem; max-width: 60rem; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem;
  margin: .5rem 0; }
header dt { color: var(--muted); }
header dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0 1rem; }
table.fixed { table-layout: fixed; }
table.fixed td { overflow-wrap: anywhere; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--border); }
th { font-weight: 600; background: var(--stripe); }
td.url, td.wrap { overflow-wrap: anywhere; word-break: break-word; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { color: var(--bad); }
.evidence { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: 0; }
.evidence dt { color: var(--muted); }
.evidence dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .85em;
  font-weight: 600; white-space: nowrap; }
.badge.high { background: var(--high-bg); color: var(--high-fg); }
.badge.medium { background: var(--medium-bg); color: var(--medium-fg); }
.badge.low { background: var(--low-bg); color: var(--low-fg); }
.flag { display: inline-block; margin: 0 .25rem .1rem 0; padding: 0 .35rem;
  border: 1px solid var(--border); border-radius: .25rem; font-size: .85em; }
.warn { color: var(--bad); font-weight: 600; }
.good { color: var(--ok); }
footer { margin-top: 3rem; color: var(--muted); font-size: .9em; }
@media print { body { max-width: none; } a { color: inherit; } }
"""


def _e(value: object) -> str:
    """Escape for HTML text and attribute values; None becomes an empty string."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None) -> str:
    if not url:
        return '<span class="muted">-</span>'
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    # Only web URLs become links: a scanned page could report a javascript: or data: URL.
    if scheme in ("http", "https"):
        return f'<a href="{_e(url)}" rel="noopener noreferrer nofollow">{_e(url)}</a>'
    return _e(url)


def _colgroup(*percentages: int) -> str:
    # Fixed column widths keep the tables of one section aligned with each other.
    cols = "".join(f'<col style="width: {p}%">' for p in percentages)
    return f"<colgroup>{cols}</colgroup>"


def _badge(severity: str) -> str:
    return f'<span class="badge {_e(severity)}">{_e(severity)}</span>'


def _phase_list(phases: Sequence[str]) -> str:
    return _e(", ".join(phases)) if phases else '<span class="muted">-</span>'


def render_html(report: dict[str, Any]) -> str:
    """One self-contained HTML page (no scripts, no external assets) for a compliance reader:
    header, per-phase summary, findings, cookies, third parties and pages."""
    validate_report(report)
    target = report["target"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Belt and braces behind the escaping: nothing in this page may run or load anything.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Cookie scan: {_e(target)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _html_header(report),
        "<main>",
        _html_summary(report),
        _html_findings(report),
        _html_cookies(report),
        _html_third_parties(report),
        _html_pages(report),
        "</main>",
        '<footer>Automated observation by cookiegate-scan in a real browser; the findings are '
        "evidence for a person to review.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _html_header(report: Mapping[str, Any]) -> str:
    scanner = report["scanner"]
    registry = report["registry"]
    target = report["target"]
    when = f"{_e(report['started_at'])} to {_e(report['finished_at'])}"
    seconds = _duration(report)
    if seconds is not None:
        when += f" ({_e(_format_duration(seconds))})"
    if registry["site"] is None and registry["entries"] == 0:
        registry_text = (
            '<span class="warn">none supplied</span>: every cookie is reported as undeclared'
        )
    else:
        site = f"<code>{_e(registry['site'])}</code>" if registry["site"] else "unnamed site"
        registry_text = f"{site}, {_e(_plural(registry['entries'], 'entry', 'entries'))}"
    rows = [
        ("Target", _link(report["target"])),
        ("Scanned", when),
        ("Scanner", f"cookiegate-scan {_e(scanner['version'])}"),
        ("Browser", _e(scanner["browser"]) or '<span class="muted">unknown</span>'),
        ("Registry", registry_text),
    ]
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return (
        f"<header><h1>Cookie scan report</h1>"
        f'<p class="muted">{_e(target)}</p><dl>{items}</dl></header>'
    )


def _html_summary(report: Mapping[str, Any]) -> str:
    findings = report["findings"]
    coverage = report["coverage"]
    rows = []
    for phase in _ordered_phases(report):
        counts = coverage["pages_per_phase"].get(phase)
        if counts is None:
            # Older or partial coverage blocks: count the page list instead.
            pages = [page for page in report["pages"] if page["phase"] == phase]
            failed = sum(1 for page in pages if _page_failed(page))
            counts = {"ok": len(pages) - failed, "failed": failed}
        cookies = sum(1 for cookie in report["cookies"] if phase in cookie["phases"])
        hosts = sum(1 for party in report["third_parties"] if phase in party["phases"])
        by_kind = Counter(f["kind"] for f in findings if f["phase"] == phase)
        failed_cell = (
            f'<span class="warn">{counts["failed"]}</span>' if counts["failed"] else "0"
        )
        rows.append(
            f"<tr><td>{_e(PHASE_LABELS.get(phase, phase))}</td>"
            f'<td class="num">{counts["ok"]}</td><td class="num">{failed_cell}</td>'
            f'<td class="num">{cookies}</td><td class="num">{hosts}</td>'
            f"<td>{_kind_counts(by_kind)}</td></tr>"
        )
    unphased = Counter(f["kind"] for f in findings if f["phase"] is None)
    if unphased:
        rows.append(
            '<tr><td>not tied to a phase</td><td class="num">-</td><td class="num">-</td>'
            f'<td class="num">-</td><td class="num">-</td><td>{_kind_counts(unphased)}</td></tr>'
        )
    phase_table = (
        "<table><thead><tr><th>Phase</th><th class=\"num\">Pages OK</th>"
        '<th class="num">Pages failed</th><th class="num">Cookies seen</th>'
        '<th class="num">Third-party hosts</th><th>Findings</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )

    severity_counts = Counter(f["severity"] for f in findings)
    if findings:
        headline = (
            f"<p><strong>{_e(_plural(len(findings), 'finding'))}</strong>: "
            + ", ".join(f"{severity_counts[s]} {s}" for s in SEVERITIES)
            + f". {len(report['cookies'])} cookies and storage items, "
            f"{len(report['third_parties'])} third-party hosts, "
            f"{coverage['pages_ok']} page visits loaded, {coverage['pages_failed']} failed.</p>"
        )
    else:
        headline = (
            f'<p class="good"><strong>No findings.</strong></p><p>{len(report["cookies"])} '
            f"cookies and storage items, {len(report['third_parties'])} third-party hosts, "
            f"{coverage['pages_ok']} page visits loaded, {coverage['pages_failed']} failed.</p>"
        )
    kind_rows = []
    for kind in _ordered_kinds(f["kind"] for f in findings):
        of_kind = [f for f in findings if f["kind"] == kind]
        per_severity = Counter(f["severity"] for f in of_kind)
        cells = "".join(f'<td class="num">{per_severity[s]}</td>' for s in SEVERITIES)
        kind_rows.append(
            f'<tr><td><a href="#kind-{kind}">{_e(KIND_TITLES[kind])}</a> '
            f'<code class="muted">{kind}</code></td>{cells}'
            f'<td class="num">{len(of_kind)}</td></tr>'
        )
    kind_table = ""
    if kind_rows:
        heads = "".join(f'<th class="num">{s}</th>' for s in SEVERITIES)
        kind_table = (
            f"<table><thead><tr><th>Finding kind</th>{heads}<th class=\"num\">Total</th></tr>"
            f"</thead><tbody>{''.join(kind_rows)}</tbody></table>"
        )
    return (
        f'<section id="summary"><h2>Summary</h2>{headline}{kind_table}'
        f"<h3>Per consent phase</h3>{phase_table}</section>"
    )


def _kind_counts(counts: Counter[str]) -> str:
    if not counts:
        return '<span class="muted">none</span>'
    return ", ".join(
        f"{_e(KIND_TITLES[kind])} ({counts[kind]})" for kind in _ordered_kinds(counts)
    )


def _html_findings(report: Mapping[str, Any]) -> str:
    findings = report["findings"]
    out = [f'<section id="findings"><h2>Findings ({len(findings)})</h2>']
    if not findings:
        out.append('<p class="good">The scan found nothing to report.</p>')
    for kind in _ordered_kinds(f["kind"] for f in findings):
        of_kind = sorted(
            (f for f in findings if f["kind"] == kind),
            key=lambda f: (_severity_rank(f), f["cookie"], f["phase"] or "", f["url"] or ""),
        )
        rows = []
        for finding in of_kind:
            evidence = (
                f"<dt>Page</dt><dd>{_link(finding['url'])}</dd>"
                f"<dt>Phase</dt><dd>{_e(PHASE_LABELS.get(finding['phase'], 'any'))}</dd>"
                f"<dt>Set by</dt><dd>{_link(finding['set_by'])}</dd>"
            )
            rows.append(
                f"<tr><td>{_badge(finding['severity'])}</td>"
                f'<td class="wrap"><code>{_e(finding["cookie"])}</code></td>'
                f'<td class="wrap">{_e(finding["detail"])}</td>'
                f'<td><dl class="evidence">{evidence}</dl></td></tr>'
            )
        out.append(
            f'<section class="kind" id="kind-{kind}">'
            f"<h3>{_e(KIND_TITLES[kind])} <code class=\"muted\">{kind}</code> "
            f"({len(of_kind)})</h3>"
            f'<p class="explain">{_e(KIND_EXPLANATIONS[kind])}</p>'
            f'<table class="fixed">{_colgroup(8, 20, 32, 40)}'
            "<thead><tr><th>Severity</th><th>Cookie or tracker</th><th>What was seen</th>"
            f"<th>Evidence</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
        )
    out.append("</section>")
    return "".join(out)


def _category_order(key: tuple[str | None, str]) -> tuple[int, str, int]:
    category, party = key
    # Necessary first (what needs no consent), uncategorised last (what needs attention).
    rank = 0 if category == "necessary" else 2 if category is None else 1
    return (rank, category or "", 0 if party == "first" else 1)


def _html_cookies(report: Mapping[str, Any]) -> str:
    cookies = report["cookies"]
    out = [f'<section id="cookies"><h2>Cookies and storage ({len(cookies)})</h2>']
    if not cookies:
        out.append('<p class="muted">No cookies or storage items were seen.</p>')
    groups: dict[tuple[str | None, str], list[Mapping[str, Any]]] = {}
    for cookie in cookies:
        groups.setdefault((cookie["category"], cookie["party"]), []).append(cookie)
    for key in sorted(groups, key=_category_order):
        category, party = key
        members = sorted(groups[key], key=lambda c: (c["name"], c["domain"], c["kind"]))
        title = category if category is not None else "Uncategorised"
        rows = "".join(_cookie_row(cookie) for cookie in members)
        out.append(
            f"<h3>{_e(title)}, {_e(party)} party ({len(members)})</h3>"
            f'<table class="fixed">{_colgroup(12, 11, 11, 10, 17, 9, 12, 18)}'
            "<thead><tr><th>Name</th><th>Domain</th><th>Kind</th><th>Phases</th>"
            "<th>Set by</th><th>Expiry</th><th>Flags</th><th>Registry</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "".join(out)


def _cookie_row(cookie: Mapping[str, Any]) -> str:
    set_by = cookie["set_by"]
    via = {"http": "HTTP response", "js": "script", "unknown": "unknown"}[set_by["via"]]
    set_by_cell = f"{_e(via)}<br>{_link(set_by['url'])}" if set_by["url"] else _e(via)
    return (
        f'<tr><td class="wrap"><code>{_e(cookie["name"])}</code></td>'
        f'<td class="wrap">{_e(cookie["domain"])}{_e(_path_suffix(cookie))}</td>'
        f"<td>{_e(cookie['kind'])}</td><td>{_phase_list(cookie['phases'])}</td>"
        f'<td class="url">{set_by_cell}</td><td>{_e(_lifetime(cookie))}</td>'
        f"<td>{_flags(cookie)}</td><td>{_registry_cell(cookie)}</td></tr>"
    )


def _path_suffix(cookie: Mapping[str, Any]) -> str:
    # The path only matters for cookies, and only when it narrows the cookie below the site.
    if cookie["kind"] == "cookie" and cookie["path"] not in ("", "/"):
        return str(cookie["path"])
    return ""


def _lifetime(cookie: Mapping[str, Any]) -> str:
    days = cookie["expires_days"]
    if days is None:
        return {
            "cookie": "session",
            "sessionStorage": "until the tab closes",
        }.get(cookie["kind"], "until cleared")
    return _format_days(days)


def _flags(cookie: Mapping[str, Any]) -> str:
    flags = []
    if cookie["kind"] == "cookie":
        if cookie["http_only"]:
            flags.append('<span class="flag">HttpOnly</span>')
        if cookie["secure"]:
            flags.append('<span class="flag">Secure</span>')
        elif cookie["secure"] is False:
            flags.append('<span class="flag warn">not Secure</span>')
        if cookie["same_site"]:
            flags.append(f'<span class="flag">SameSite={_e(cookie["same_site"])}</span>')
    if cookie["blocked"] is not None:
        flags.append(f'<span class="warn">refused by the browser: {_e(cookie["blocked"])}</span>')
    return " ".join(flags) if flags else '<span class="muted">-</span>'


def _registry_cell(cookie: Mapping[str, Any]) -> str:
    source = {
        "registry": "category from the registry",
        "known-db": "category from the known-cookie database",
        "none": "category unknown",
    }[cookie["category_source"]]
    match = cookie["registry_match"]
    if cookie["declared"]:
        text = '<span class="good">declared</span>'
        if match is not None:
            text += f" as <code>{_e(match['name'])}</code> ({_e(match['match'])})"
    else:
        text = '<span class="warn">not declared</span>'
    suggestion = cookie["suggestion"]
    if suggestion is not None and not cookie["declared"]:
        retention = suggestion["retention_days"]
        kept = "session" if retention is None else _format_days(retention)
        text += (
            f"<br>suggested: {_e(suggestion['provider'])}, {_e(suggestion['category'])}, "
            f"kept {_e(kept)}<br><span class=\"muted\">{_e(suggestion['purpose'])}</span>"
        )
    return f'{text}<br><span class="muted">{source}</span>'


def _html_third_parties(report: Mapping[str, Any]) -> str:
    parties = sorted(report["third_parties"], key=lambda p: (-p["requests"], p["host"]))
    out = [f'<section id="third-parties"><h2>Third parties ({len(parties)})</h2>']
    if not parties:
        out.append('<p class="muted">No requests to third-party hosts were seen.</p>')
    else:
        rows = "".join(
            f'<tr><td class="wrap"><code>{_e(p["host"])}</code></td>'
            f"<td>{_phase_list(p['phases'])}</td><td class=\"num\">{p['requests']}</td>"
            f'<td class="num">{p["beacons"]}</td></tr>'
            for p in parties
        )
        out.append(
            "<table><thead><tr><th>Host</th><th>Phases</th><th class=\"num\">Requests</th>"
            f'<th class="num">Beacons and pixels</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    out.append("</section>")
    return "".join(out)


def _html_pages(report: Mapping[str, Any]) -> str:
    pages = report["pages"]
    # Failed visits first: they are what limits how far the rest of the report can be trusted.
    ordered = [p for p in pages if _page_failed(p)] + [p for p in pages if not _page_failed(p)]
    failed = sum(1 for p in pages if _page_failed(p))
    out = [
        f'<section id="pages"><h2>Pages visited ({len(pages)}, {failed} failed)</h2>',
    ]
    if not pages:
        out.append('<p class="warn">No page was visited.</p>')
    else:
        rows = []
        for page in ordered:
            css = ' class="failed"' if _page_failed(page) else ""
            status = page["status"] if page["status"] is not None else "-"
            result = _e(page["error"]) if _page_failed(page) else '<span class="good">ok</span>'
            rows.append(
                f'<tr{css}><td class="url">{_link(page["url"])}</td><td>{_e(page["phase"])}</td>'
                f'<td class="num">{page["depth"]}</td><td class="num">{_e(status)}</td>'
                f"<td>{_e(page['banner'] or '-')}</td><td class=\"wrap\">{result}</td></tr>"
            )
        out.append(
            "<table><thead><tr><th>URL</th><th>Phase</th><th class=\"num\">Depth</th>"
            '<th class="num">Status</th><th>Banner</th><th>Result</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------- JUnit


def _x(value: object) -> str:
    """Text safe for XML 1.0 (ElementTree escapes markup but not illegal characters)."""
    return _XML_ILLEGAL.sub("\ufffd", "" if value is None else str(value))


def render_junit(report: dict[str, Any], fail_on: set[str]) -> str:
    """JUnit XML for CI: one test suite per finding kind in `fail_on` or present in the report,
    one test case per finding (a failure when its kind is in `fail_on`), and a suite of the
    page visits that failed, each as an error."""
    validate_report(report)
    unknown = set(fail_on) - set(FINDING_KINDS)
    if unknown:
        raise ValueError(f"unknown finding kind(s) in fail_on: {', '.join(sorted(unknown))}")

    root = ET.Element("testsuites", name="cookiegate-scan")
    seconds = _duration(report)
    if seconds is not None:
        root.set("time", f"{seconds:.3f}")
    totals: Counter[str] = Counter()
    findings = report["findings"]
    for kind in _ordered_kinds({*fail_on, *(f["kind"] for f in findings)}):
        of_kind = [f for f in findings if f["kind"] == kind]
        suite = _suite(root, report, f"findings.{kind}")
        counts: Counter[str] = Counter()
        for finding in of_kind:
            case = ET.SubElement(
                suite, "testcase", name=_x(_case_name(finding)), classname=f"findings.{kind}"
            )
            body = _x(_finding_text(finding))
            counts["tests"] += 1
            if kind in fail_on:
                failure = ET.SubElement(
                    case, "failure", message=_x(f"{finding['severity']}: {finding['detail']}"),
                    type=kind,
                )
                failure.text = body
                counts["failures"] += 1
            else:
                ET.SubElement(case, "system-out").text = body
        if not of_kind:
            # A gate with nothing to report still shows up in CI as a passed check.
            ET.SubElement(
                suite, "testcase", name=f"no {kind} findings", classname=f"findings.{kind}"
            )
            counts["tests"] += 1
        _set_counts(suite, counts)
        totals.update(counts)

    suite = _suite(root, report, "pages")
    counts = Counter()  # reset for the pages suite
    failed_pages = [page for page in report["pages"] if _page_failed(page)]
    for page in failed_pages:
        case = ET.SubElement(
            suite, "testcase", name=_x(f"{page['url']} [{page['phase']}]"),
            classname=f"pages.{page['phase']}",
        )
        error = ET.SubElement(case, "error", message=_x(page["error"]), type="page-error")
        error.text = _x(
            f"The page could not be scanned in phase {page['phase']}.\n"
            f"URL: {page['url']}\nDepth: {page['depth']}\n"
            f"HTTP status: {page['status'] if page['status'] is not None else '-'}\n"
            f"Banner: {page['banner'] or '-'}\nError: {page['error']}"
        )
        counts["tests"] += 1
        counts["errors"] += 1
    if not failed_pages:
        loaded = len(report["pages"])
        ET.SubElement(
            suite, "testcase", name=f"{_plural(loaded, 'page visit')} loaded", classname="pages"
        )
        counts["tests"] += 1
    _set_counts(suite, counts)
    totals.update(counts)

    _set_counts(root, totals)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, report: Mapping[str, Any], name: str) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", name=name)
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("target", report["target"]),
        ("started_at", report["started_at"]),
        ("scanner.version", report["scanner"]["version"]),
        ("scanner.browser", report["scanner"]["browser"]),
    ):
        ET.SubElement(properties, "property", name=key, value=_x(value))
    return suite


def _set_counts(element: ET.Element, counts: Mapping[str, int]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts.get(key, 0)))


def _case_name(finding: Mapping[str, Any]) -> str:
    name = f"{finding['cookie']} [{finding['phase'] or 'any phase'}]"
    if finding["url"]:
        name += f" {finding['url']}"
    return name


def _finding_text(finding: Mapping[str, Any]) -> str:
    kind = finding["kind"]
    lines = [
        f"{KIND_TITLES[kind]} ({kind}), severity {finding['severity']}.",
        KIND_EXPLANATIONS[kind],
        "",
    ]
    lines += [f"{label}: {value}" for label, value in _finding_evidence(finding)]
    return "\n".join(lines)
