"""The tamper-evident consent ledger.

Each site's records form a few independent hash chains ("lanes"). A record's hash is an
HMAC-SHA256, under a ledger key the database never sees, over its fields and the previous
record's hash; each lane's head (last sequence number and hash) is sealed the same way.
So `verify` notices:

- a modified record (its hash no longer matches its fields),
- an inserted record (it cannot carry a valid hash without the key, and breaks the links),
- a deleted record (a gap in the sequence, a broken link, or a head that points past the end).

Personal fields (page, truncated IP, user agent) enter the chain only through a salted
digest, so erasing them keeps every hash valid, and the erased values cannot be guessed back
from the digest because the salt is erased with them. Retention purges cut a lane's oldest
records and move the lane's sealed base forward, which verification starts from.

Writing: every process appends a site's records to a lane of its own (each thread, on
PostgreSQL) and remembers that lane's head, so an append is a conditional head update plus
an insert: under SQLite's single write lock (BEGIN IMMEDIATE) in Ledger._append_locked, and
as one autocommit statement on PostgreSQL (PostgresAppender). When another writer moved the
head, the append re-reads it and chains after it. A retried consent id is caught by the
column's uniqueness and answered from the stored record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)

from cookiegate.canonical import canonical_bytes, canonical_json
from cookiegate.clock import isoformat, utcnow
from cookiegate.consent.models import ConsentRecord, LedgerLane
from cookiegate.consent.submission import ConsentSubmission
from cookiegate.consent.visitor import Visitor
from cookiegate.database import DriverStatement, SQLiteWriterLock
from cookiegate.errors import Conflict, InvalidInput
from cookiegate.sites.models import Site

records = cast(Table, ConsentRecord.__table__)
lanes = cast(Table, LedgerLane.__table__)
GENESIS = "0" * 64
PERSONAL_FIELDS = ("page_url", "ip_truncated", "ua_family", "ua_os", "ua_device")

# The write path's statements, run on the DBAPI cursor (see DriverStatement).
_LOCK_LANE = (select(lanes).where(lanes.c.site_id == bindparam("w_site"),
                                  lanes.c.lane == bindparam("w_lane")).with_for_update())
_READ_LANE = select(lanes).where(lanes.c.site_id == bindparam("w_site"),
                                 lanes.c.lane == bindparam("w_lane"))
_FIND = select(records).where(records.c.consent_id == bindparam("w_consent_id"))
_STORE_HEAD = (update(lanes).where(lanes.c.site_id == bindparam("w_site"),
                                   lanes.c.lane == bindparam("w_lane"))
               .values({c: bindparam(c) for c in ("seq", "head_hash", "base_seq", "base_hash",
                                                  "key_id", "seal")}))
_STORE_HEAD_IF_UNCHANGED = _STORE_HEAD.where(lanes.c.seq == bindparam("w_seq"),
                                             lanes.c.head_hash == bindparam("w_hash"),
                                             lanes.c.base_seq == bindparam("w_base"))
_RECORD_COLUMNS = [c.name for c in records.columns if c.name != "id"]


class LedgerKeys:
    """HMAC keys for the ledger, newest first. Records name the key that hashed them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("the consent ledger needs at least one key")
        self._keys = {self.key_id(k): k.encode() for k in keys}
        self.current_id = self.key_id(keys[0])

    @staticmethod
    def key_id(key: str) -> str:
        return hashlib.sha256(b"cookiegate-ledger-key:" + key.encode()).hexdigest()[:12]

    def sign(self, key_id: str, material: bytes) -> str | None:
        key = self._keys.get(key_id)
        if key is None:
            return None
        return hmac.new(key, material, hashlib.sha256).hexdigest()


def personal_digest(row: dict[str, Any]) -> str:
    personal = [row["personal_salt"]] + [row[f] for f in PERSONAL_FIELDS]
    return hashlib.sha256(canonical_bytes(personal)).hexdigest()


def record_material(row: dict[str, Any]) -> bytes:
    return canonical_bytes([
        "cookiegate-ledger-v1", row["site_id"], row["lane"], row["seq"], row["consent_id"],
        row["previous_consent_id"], isoformat(row["created_at"]), row["action"], row["choices"],
        row["config_version"], row["config_sha256"], row["language"], row["source"],
        bool(row["gpc"]), row["personal_digest"], row["prev_hash"],
    ])


def lane_material(row: dict[str, Any]) -> bytes:
    return canonical_bytes(["cookiegate-lane-v1", row["site_id"], row["lane"], row["seq"],
                       row["head_hash"], row["base_seq"], row["base_hash"]])


def _chain_start(head: dict[str, Any] | None) -> dict[str, Any]:
    if head is None:
        return {"seq": 0, "hash": GENESIS, "consent_id": None}
    return {"seq": head["base_seq"], "hash": head["base_hash"], "consent_id": None}


@dataclass(frozen=True)
class Problem:
    """One thing `verify` found wrong, in words an auditor can act on."""

    site_id: int
    lane: int
    seq: int | None
    consent_id: str | None
    kind: str  # modified | inserted | deleted | head | erasure | key
    message: str


@dataclass(frozen=True)
class Appended:
    record: dict[str, Any]
    replayed: bool


class _Reconnect(Exception):
    """The thread's connection broke; the append may be retried on a new one, since a
    duplicate of a committed record is caught by its consent id and replayed."""


class PostgresAppender:
    """Appends on PostgreSQL in one statement, one round trip, without a held lock.

    Each thread writes to a lane of its own choosing and remembers that lane's head. The
    statement moves the lane's head forward only if it is still the remembered one, and
    inserts the record only if it did; PostgreSQL runs it as one atomic transaction. If
    another writer got there first, nothing changes: re-read the head and try again, on
    another lane to spread the writers apart. Compared with lock, insert, update, commit
    in separate round trips this halves the database work of a consent POST.
    """

    ATTEMPTS = 100

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        columns = ", ".join(_RECORD_COLUMNS)
        # The record travels as one JSON parameter: adapting 25 parameters one by one cost
        # the driver more than the database spent on the statement.
        self.sql = (
            f"WITH head AS (UPDATE {lanes.name} SET seq = %(seq)s, head_hash = %(record_hash)s, "
            "key_id = %(head_key_id)s, seal = %(head_seal)s "
            "WHERE site_id = %(site_id)s AND lane = %(lane)s AND seq = %(head_seq)s "
            "AND head_hash = %(prev_hash)s AND base_seq = %(head_base_seq)s RETURNING 1) "
            f"INSERT INTO {records.name} ({columns}) SELECT {columns} "
            f"FROM head, json_populate_record(NULL::{records.name}, %(record)s::json)")
        self.heads: dict[tuple[int, int], dict[str, Any]] = {}
        self.local = threading.local()

    def _lane(self, site_id: int, lane_count: int, move: bool = False) -> int:
        chosen: dict[int, int] = self.local.__dict__.setdefault("lanes", {})
        if move or site_id not in chosen or chosen[site_id] >= lane_count:
            chosen[site_id] = random.randrange(max(lane_count, 1))
        return chosen[site_id]

    def append(self, row: dict[str, Any], lane_count: int) -> Appended:
        site_id = row["site_id"]
        lane = self._lane(site_id, lane_count)
        reconnects = 0
        for _ in range(self.ATTEMPTS):
            head = self.heads.get((site_id, lane)) or self.ledger.read_head(site_id, lane)
            new_head = self.ledger.chain(row, lane, head)
            params = {"seq": row["seq"], "record_hash": row["record_hash"],
                      "head_key_id": new_head["key_id"], "head_seal": new_head["seal"],
                      "site_id": site_id, "lane": lane, "head_seq": head["seq"],
                      "prev_hash": row["prev_hash"], "head_base_seq": head["base_seq"],
                      "record": canonical_json(row)}
            try:
                appended = self._run(params)
            except _Reconnect:
                reconnects += 1
                if reconnects > 2:
                    raise
                self.heads.pop((site_id, lane), None)
                continue
            except Exception as exc:
                if getattr(exc, "sqlstate", None) != "23505":  # unique_violation
                    raise
                existing = self.ledger.find_one(row["consent_id"])
                if existing is None:
                    raise
                return self.ledger.replay(existing, row)
            if appended:
                self.heads[(site_id, lane)] = new_head
                return Appended(record=row, replayed=False)
            self.heads.pop((site_id, lane), None)  # another writer moved the head
            lane = self._lane(site_id, lane_count, move=True)
        raise RuntimeError(f"could not append to the consent ledger of site {site_id} after "
                           f"{self.ATTEMPTS} attempts")

    def _connection(self) -> Any:
        """This thread's own autocommit connection, outside the pool: switching a pooled
        connection to autocommit and back, and resetting it on return, cost three extra
        driver round trips per append."""
        connection = getattr(self.local, "connection", None)
        if connection is None or getattr(self.local, "pid", None) != os.getpid():
            pooled = self.ledger.engine.raw_connection()
            connection = pooled.driver_connection
            assert connection is not None
            pooled.detach()
            connection.autocommit = True
            self.local.connection, self.local.pid = connection, os.getpid()
            self.local.pooled = pooled  # keeps the detached connection alive
        return connection

    def _run(self, params: dict[str, Any]) -> bool:
        connection = self._connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(self.sql, params)
                return bool(cursor.rowcount == 1)
        except Exception as exc:
            if getattr(exc, "sqlstate", None) is None or connection.closed:
                self.local.connection = None
                with suppress(Exception):
                    connection.close()
                raise _Reconnect from exc
            raise


class Ledger:
    def __init__(self, engine: Engine, keys: LedgerKeys) -> None:
        self.engine = engine
        self.keys = keys
        dialect = engine.dialect
        self._sqlite = dialect.name == "sqlite"
        self._lock_lane = DriverStatement(_LOCK_LANE, dialect, result_table=lanes)
        self._find = DriverStatement(_FIND, dialect, result_table=records)
        self._insert = DriverStatement(records.insert(), dialect, column_keys=_RECORD_COLUMNS)
        self._store = DriverStatement(_STORE_HEAD, dialect)
        self._store_if_unchanged = DriverStatement(_STORE_HEAD_IF_UNCHANGED, dialect)
        self._heads: dict[tuple[int, int], dict[str, Any]] = {}
        self._lanes: dict[int, int] = {}
        self._local = threading.local()
        self._writer_lock = (SQLiteWriterLock(engine.url.database)
                             if self._sqlite and engine.url.database else None)
        self._read_lane = DriverStatement(_READ_LANE, dialect, result_table=lanes)
        self._postgres = PostgresAppender(self) if dialect.name == "postgresql" else None

    # --- lanes ------------------------------------------------------------------------------

    def open_lanes(self, conn: Connection, site_id: int, count: int) -> None:
        """Create the (empty, sealed) lane heads of a site; existing lanes stay as they are."""
        have = set(conn.scalars(select(lanes.c.lane).where(lanes.c.site_id == site_id)))
        for lane in range(count):
            if lane in have:
                continue
            head = {"site_id": site_id, "lane": lane, "seq": 0, "head_hash": GENESIS,
                    "base_seq": 0, "base_hash": GENESIS, "key_id": self.keys.current_id}
            head["seal"] = self.keys.sign(self.keys.current_id, lane_material(head))
            conn.execute(lanes.insert().values(**head))

    def open_all_lanes(self, conn: Connection) -> None:
        for site_id, count in conn.execute(select(Site.__table__.c.id,
                                                  Site.__table__.c.ledger_lanes)).all():
            self.open_lanes(conn, site_id, count)

    def _write(self) -> Any:
        return self.engine.connect().execution_options(cookiegate_write_lock=True)

    def _seal(self, head: dict[str, Any]) -> dict[str, Any]:
        head["key_id"] = self.keys.current_id
        head["seal"] = self.keys.sign(head["key_id"], lane_material(head))
        return head

    def _head_values(self, head: dict[str, Any]) -> dict[str, Any]:
        """Statement parameters for storing an already sealed head."""
        return {"w_site": head["site_id"], "w_lane": head["lane"], "seq": head["seq"],
                "head_hash": head["head_hash"], "base_seq": head["base_seq"],
                "base_hash": head["base_hash"], "key_id": head["key_id"], "seal": head["seal"]}

    @staticmethod
    def _missing_lane(site_id: int, lane: int) -> InvalidInput:
        return InvalidInput(f"ledger lane {lane} of site {site_id} does not exist; run "
                            "`cookiegate init-db`", code="ledger_not_ready")

    def _locked_lane(self, conn: Connection, site_id: int, lane: int) -> dict[str, Any]:
        head = conn.execute(_LOCK_LANE, {"w_site": site_id, "w_lane": lane}).mappings().first()
        if head is None:
            raise self._missing_lane(site_id, lane)
        return dict(head)

    def _store_head(self, conn: Connection, head: dict[str, Any]) -> None:
        conn.execute(_STORE_HEAD, self._head_values(self._seal(head)))

    @contextmanager
    def _driver_transaction(self) -> Iterator[Any]:
        """A raw DBAPI cursor inside one transaction that holds the database's write lock
        on SQLite (BEGIN IMMEDIATE); on PostgreSQL the lane's row lock does that job."""
        with self._writer_lock or nullcontext(), self._raw_transaction() as cursor:
            yield cursor

    @contextmanager
    def _raw_transaction(self) -> Iterator[Any]:
        if self._sqlite:
            with self._sqlite_transaction() as cursor:
                yield cursor
            return
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
            cursor.close()
        finally:
            connection.close()

    @contextmanager
    def _sqlite_transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE ... COMMIT on this thread's own connection, kept open outside the
        pool: checking a pooled one out and resetting it on return cost more than the append."""
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            pooled = self.engine.raw_connection()
            connection = pooled.driver_connection
            assert connection is not None
            pooled.detach()
            self._local.connection, self._local.pid = connection, os.getpid()
            self._local.pooled = pooled  # keeps the detached connection alive
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                with suppress(sqlite3.Error):
                    cursor.execute("ROLLBACK")
                raise
            try:
                cursor.execute("COMMIT")
            except sqlite3.Error:
                self._local.connection = None  # start the next append on a fresh connection
                with suppress(sqlite3.Error):
                    connection.close()
                raise
        finally:
            cursor.close()

    # --- writing ----------------------------------------------------------------------------

    def append(self, site_id: int, lane_count: int, submission: ConsentSubmission,
               config_version: int, config_sha256: str, visitor: Visitor,
               previous_consent_id: str | None) -> Appended:
        """Add one choice. A consent id already stored with the same choice is a retry."""
        row: dict[str, Any] = {
            "consent_id": submission.consent_id or str(uuid.uuid4()),
            "previous_consent_id": previous_consent_id, "site_id": site_id,
            "created_at": utcnow(), "action": submission.action,
            "choices": canonical_bytes(submission.choices).decode(),
            "config_version": config_version, "config_sha256": config_sha256,
            "language": submission.language, "source": submission.source,
            "gpc": submission.gpc, "page_url": submission.page_url,
            "ip_truncated": visitor.ip_truncated, "ua_family": visitor.ua_family,
            "ua_os": visitor.ua_os, "ua_device": visitor.ua_device,
            "personal_salt": secrets.token_hex(16), "erased_at": None,
            "key_id": self.keys.current_id,
        }
        row["personal_digest"] = personal_digest(row)
        if self._postgres is not None:
            return self._postgres.append(row, lane_count)
        return self._append_locked(row, lane_count)

    def chain(self, row: dict[str, Any], lane: int, head: dict[str, Any]) -> dict[str, Any]:
        """Place `row` after the lane's head; returns the lane's new head (sealed)."""
        row["lane"], row["seq"], row["prev_hash"] = lane, head["seq"] + 1, head["head_hash"]
        row["record_hash"] = self.keys.sign(row["key_id"], record_material(row))
        return self._seal(dict(head, seq=row["seq"], head_hash=row["record_hash"]))

    def _append_locked(self, row: dict[str, Any], lane_count: int) -> Appended:
        """SQLite: one writer at a time holds the database lock. The process remembers its
        lane's head, so the usual append is one conditional head update and one insert;
        when another process moved the head, read it and chain after it instead."""
        site_id = row["site_id"]
        lane = self._writer_lane(site_id, lane_count)
        try:
            with self._driver_transaction() as cursor:
                new_head = None
                head = self._heads.get((site_id, lane))
                if head is not None:
                    new_head = self.chain(row, lane, head)
                    self._store_if_unchanged.run(cursor, dict(
                        self._head_values(new_head), w_seq=head["seq"],
                        w_hash=head["head_hash"], w_base=head["base_seq"]))
                    if cursor.rowcount != 1:
                        new_head = None
                if new_head is None:
                    head = self._lock_lane.one(cursor, {"w_site": site_id, "w_lane": lane})
                    if head is None:
                        raise self._missing_lane(site_id, lane)
                    new_head = self.chain(row, lane, head)
                    self._store.run(cursor, self._head_values(new_head))
                self._insert.run(cursor, row)
        except sqlite3.IntegrityError as exc:
            self._heads.pop((site_id, lane), None)
            existing = self.find_one(row["consent_id"]) if "consent_id" in str(exc) else None
            if existing is None:
                raise
            return self.replay(existing, row)
        self._heads[(site_id, lane)] = new_head
        return Appended(record=row, replayed=False)

    def _writer_lane(self, site_id: int, lane_count: int) -> int:
        """The lane this process appends a site's records to: its own, to keep heads valid."""
        lane = self._lanes.get(site_id)
        if lane is None or lane >= lane_count:
            lane = self._lanes[site_id] = random.randrange(max(lane_count, 1))
        return lane

    def replay(self, existing: dict[str, Any], row: dict[str, Any]) -> Appended:
        """A consent id seen before: the same choice again is a retry, anything else a conflict."""
        if (existing["site_id"] != row["site_id"] or existing["action"] != row["action"]
                or existing["choices"] != row["choices"]):
            raise Conflict(f"consent_id {row['consent_id']} already records a different choice; "
                           "a new choice needs a new consent_id", code="consent_id_conflict")
        return Appended(record=existing, replayed=True)

    def find_one(self, consent_id: str) -> dict[str, Any] | None:
        with self._raw_transaction() as cursor:
            return self._find.one(cursor, {"w_consent_id": consent_id})

    def read_head(self, site_id: int, lane: int) -> dict[str, Any]:
        with self._raw_transaction() as cursor:
            head = self._read_lane.one(cursor, {"w_site": site_id, "w_lane": lane})
        if head is None:
            raise self._missing_lane(site_id, lane)
        return head

    # --- reading ----------------------------------------------------------------------------

    def history(self, conn: Connection, consent_id: str) -> list[dict[str, Any]]:
        """Every record of the visitor's chain of choices that `consent_id` belongs to."""
        found: dict[str, dict[str, Any]] = {}
        asked: set[str] = set()
        frontier = {consent_id}
        while frontier:
            rows = conn.execute(select(records).where(or_(
                records.c.consent_id.in_(frontier),
                records.c.previous_consent_id.in_(frontier)))).mappings().all()
            asked |= frontier
            frontier = set()
            for row in rows:
                if row["consent_id"] not in found:
                    found[row["consent_id"]] = dict(row)
                    frontier.add(row["consent_id"])
                    if row["previous_consent_id"]:
                        frontier.add(row["previous_consent_id"])
            frontier -= asked
        return sorted(found.values(), key=lambda r: (r["created_at"], r["id"]))

    def find(self, conn: Connection, consent_id: str) -> dict[str, Any] | None:
        row = conn.execute(select(records).where(records.c.consent_id == consent_id)
                           ).mappings().first()
        return dict(row) if row else None

    def records_between(self, conn: Connection, site_id: int, start: datetime | None,
                        end: datetime | None) -> Iterator[dict[str, Any]]:
        query = select(records).where(records.c.site_id == site_id)
        if start is not None:
            query = query.where(records.c.created_at >= start)
        if end is not None:
            query = query.where(records.c.created_at < end)
        query = query.order_by(records.c.created_at, records.c.id)
        for row in conn.execution_options(yield_per=2000).execute(query).mappings():
            yield dict(row)

    def count(self, conn: Connection, site_id: int | None = None) -> int:
        query = select(func.count()).select_from(records)
        if site_id is not None:
            query = query.where(records.c.site_id == site_id)
        return int(conn.scalar(query) or 0)

    # --- visitor rights and retention -------------------------------------------------------

    def erase(self, consent_id: str) -> list[str]:
        """Erase the personal fields of the visitor's whole history; returns the ids erased."""
        with self.engine.begin() as conn:
            chain = self.history(conn, consent_id)
            ids = [r["consent_id"] for r in chain if r["erased_at"] is None]
            if ids:
                conn.execute(update(records).where(records.c.consent_id.in_(ids)).values(
                    page_url=None, ip_truncated=None, ua_family=None, ua_os=None, ua_device=None,
                    personal_salt=None, erased_at=utcnow()))
        return ids

    def purge(self, site_id: int, cutoff: datetime,
              dry_run: bool = False) -> list[tuple[int, int, int]]:
        """Remove each lane's records older than `cutoff`; returns (lane, first, last) seqs cut.

        Only a lane's oldest run is cut, so the lane's sealed base moves forward and the rest
        of the chain still verifies.
        """
        removed: list[tuple[int, int, int]] = []
        lane_numbers = list(self.engine.connect().execute(
            select(lanes.c.lane).where(lanes.c.site_id == site_id)).scalars())
        for lane in lane_numbers:
            with self._write() as conn, conn.begin():
                head = self._locked_lane(conn, site_id, lane)
                first_young = conn.scalar(select(func.min(records.c.seq)).where(
                    records.c.site_id == site_id, records.c.lane == lane,
                    records.c.created_at >= cutoff))
                last_old = (first_young - 1) if first_young is not None else head["seq"]
                if last_old <= head["base_seq"]:
                    continue
                removed.append((lane, head["base_seq"] + 1, last_old))
                if dry_run:
                    continue
                base_hash = conn.scalar(select(records.c.record_hash).where(
                    records.c.site_id == site_id, records.c.lane == lane,
                    records.c.seq == last_old))
                conn.execute(delete(records).where(and_(
                    records.c.site_id == site_id, records.c.lane == lane,
                    records.c.seq <= last_old)))
                head["base_seq"], head["base_hash"] = last_old, base_hash or head["base_hash"]
                self._store_head(conn, head)
        return removed

    # --- verification -----------------------------------------------------------------------

    def verify(self, site_ids: Sequence[int] | None = None) -> tuple[int, list[Problem]]:
        """Check every chain; returns (records checked, problems found)."""
        problems: list[Problem] = []
        checked = 0
        with self.engine.connect() as conn:
            site_query = select(Site.__table__.c.id, Site.__table__.c.ledger_lanes)
            if site_ids is not None:
                site_query = site_query.where(Site.__table__.c.id.in_(site_ids))
            for site_id, lane_count in conn.execute(site_query).all():
                heads = {row["lane"]: dict(row) for row in conn.execute(
                    select(lanes).where(lanes.c.site_id == site_id)).mappings()}
                for lane in range(lane_count):
                    if lane not in heads:
                        problems.append(Problem(site_id, lane, None, None, "head",
                                                f"site {site_id}: lane {lane} has no head row"))
                lane_rows = conn.execution_options(yield_per=5000).execute(
                    select(records).where(records.c.site_id == site_id)
                    .order_by(records.c.lane, records.c.seq)).mappings()
                current: int | None = None
                seen: set[int] = set()
                state: dict[str, Any] = {}
                for row in lane_rows:
                    if row["lane"] != current:
                        if current is not None:
                            problems += self._close_lane(site_id, current, heads.get(current),
                                                         state)
                        current = row["lane"]
                        seen.add(current)
                        state = _chain_start(heads.get(current))
                    checked += 1
                    problems += self._check_record(dict(row), state, lane_count)
                if current is not None:
                    problems += self._close_lane(site_id, current, heads.get(current), state)
                for lane, head in heads.items():
                    if lane not in seen:
                        problems += self._close_lane(site_id, lane, head, _chain_start(head))
        return checked, problems

    def _check_record(self, row: dict[str, Any], state: dict[str, Any],
                      lane_count: int) -> list[Problem]:
        found: list[Problem] = []
        site_id, lane, seq, cid = row["site_id"], row["lane"], row["seq"], row["consent_id"]

        def problem(kind: str, message: str) -> None:
            where = f"site {site_id} lane {lane} seq {seq} (consent {cid})"
            found.append(Problem(site_id, lane, seq, cid, kind, f"{where}: {message}"))

        if lane >= lane_count:
            problem("inserted", f"lane {lane} does not exist (the site has {lane_count})")
        expected = state["seq"] + 1
        if seq > expected:
            missing = f"seq {expected}" if seq == expected + 1 else f"seqs {expected}-{seq - 1}"
            after = f" after consent {state['consent_id']}" if state["consent_id"] else ""
            problem("deleted", f"{missing} missing{after}: record(s) deleted")
        elif seq < expected:
            problem("inserted", f"seq {seq} lies before the chain's start ({expected})")
        if row["prev_hash"] != state["hash"] and seq == expected:
            problem("inserted", "does not link to the previous record: a record was inserted or "
                                "replaced before it")
        if row["erased_at"] is None:
            if personal_digest(row) != row["personal_digest"]:
                problem("modified", "personal fields were changed")
        elif any(row[f] is not None for f in (*PERSONAL_FIELDS, "personal_salt")):
            problem("erasure", "marked erased but still holds personal data")
        expected_hash = self.keys.sign(row["key_id"], record_material(row))
        if expected_hash is None:
            problem("key", f"hashed with unknown ledger key {row['key_id']}")
        elif not hmac.compare_digest(expected_hash, row["record_hash"]):
            problem("modified", "fields do not match the record's hash: the record was modified "
                                "or forged")
        state["seq"], state["hash"], state["consent_id"] = seq, row["record_hash"], cid
        return found

    def _close_lane(self, site_id: int, lane: int, head: dict[str, Any] | None,
                    state: dict[str, Any]) -> list[Problem]:
        if head is None:
            return [Problem(site_id, lane, None, None, "head",
                            f"site {site_id} lane {lane}: records exist but the lane head is gone")]
        found = []
        seal = self.keys.sign(head["key_id"], lane_material(head))
        if seal is None or not hmac.compare_digest(seal, head["seal"]):
            found.append(Problem(site_id, lane, None, None, "head",
                                 f"site {site_id} lane {lane}: the lane head was altered"))
        if state["seq"] < head["seq"]:
            first = state["seq"] + 1
            missing = f"seq {first}" if first == head["seq"] else f"seqs {first}-{head['seq']}"
            found.append(Problem(site_id, lane, first, None, "deleted",
                                 f"site {site_id} lane {lane}: {missing} missing at the end of "
                                 "the chain: record(s) deleted"))
        elif state["seq"] > head["seq"]:
            found.append(Problem(site_id, lane, state["seq"], state["consent_id"], "inserted",
                                 f"site {site_id} lane {lane}: records past the head "
                                 f"(seq {head['seq']}): record(s) inserted"))
        elif state["hash"] != head["head_hash"]:
            found.append(Problem(site_id, lane, state["seq"], state["consent_id"], "modified",
                                 f"site {site_id} lane {lane}: the last record is not the one "
                                 "the head sealed"))
        return found
