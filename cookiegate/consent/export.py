"""Ledger exports for auditors: CSV (one row per record) and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from cookiegate.consent.operations import describe_record

COLUMNS = ("site", "consent_id", "previous_consent_id", "created_at", "action", "choices",
           "config_version", "config_sha256", "language", "source", "gpc", "page_url",
           "ip_truncated", "ua_family", "ua_os", "ua_device", "erased", "record_hash")


def export_csv(rows: Iterable[dict[str, Any]], site_key: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        d = describe_record(row, site_key)
        writer.writerow([
            d["site"], d["consent_id"], d["previous_consent_id"] or "", d["created_at"],
            d["action"], json.dumps(d["choices"], sort_keys=True), d["config_version"],
            d["config_sha256"], d["language"], d["source"], str(d["gpc"]).lower(),
            d["page_url"] or "", d["ip_truncated"] or "", d["user_agent"]["family"] or "",
            d["user_agent"]["os"] or "", d["user_agent"]["device"] or "",
            str(d["erased"]).lower(), d["record_hash"],
        ])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_json(rows: Iterable[dict[str, Any]], site_key: str) -> Iterator[str]:
    yield '{"site": ' + json.dumps(site_key) + ', "records": ['
    first = True
    for row in rows:
        yield ("" if first else ",") + "\n" + json.dumps(describe_record(row, site_key))
        first = False
    yield "\n]}\n"
