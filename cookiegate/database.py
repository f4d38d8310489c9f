"""The database seam: engine set-up for SQLite (WAL) and PostgreSQL, sessions, migrations.

Domain code receives an `Engine` or a `Session` from here; nothing below knows about Flask.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and explicit BEGIN handling."""
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            raise ValueError("CookieGate needs a file-backed SQLite database, not :memory:")
        engine = create_engine(url, poolclass=NullPool if kwargs.pop("nullpool", False) else None,
                               connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we emit it ourselves so a writer
    # can ask for BEGIN IMMEDIATE and take the write lock before it reads the ledger head.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Pages read through a memory map cost no system call; with several worker processes
        # every write invalidates the others' page caches, so reads are frequent.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("cookiegate_write_lock", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One database: its engine and a session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("cookiegate") / "migrations"))
    return config


class DriverStatement:
    """A Core statement compiled once for one dialect and run on a plain DBAPI cursor.

    For the consent write path, which runs on every consent POST: SQLAlchemy's
    per-execution bookkeeping costs about ten times the database work of an append on
    SQLite (measured: 0.65 ms against 0.07 ms), so that path keeps SQLAlchemy's compiler
    and column types but not its execution machinery.
    """

    def __init__(self, statement: Any, dialect: Any, column_keys: list[str] | None = None,
                 result_table: Table | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        self.binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                      for name, bind in compiled.binds.items()}
        self.results = {c.name: c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in (result_table.columns if result_table is not None else [])}

    def params(self, values: dict[str, Any]) -> Any:
        bound = {}
        for name, process in self.binds.items():
            if name in values:
                bound[name] = process(values[name]) if process is not None else values[name]
        return [bound[name] for name in self.order] if self.order is not None else bound

    def one(self, cursor: Any, values: dict[str, Any]) -> dict[str, Any] | None:
        cursor.execute(self.sql, self.params(values))
        row = cursor.fetchone()
        if row is None:
            return None
        converted = {}
        for (name, *_), value in zip(cursor.description, row, strict=True):
            process = self.results.get(name)
            converted[name] = process(value) if process is not None else value
        return converted

    def run(self, cursor: Any, values: dict[str, Any]) -> None:
        cursor.execute(self.sql, self.params(values))


class SQLiteWriterLock:
    """Queues SQLite writers of all processes on one machine behind an OS file lock.

    SQLite itself makes a blocked writer poll with growing sleeps (1, 2, 5, 10 ms ...),
    which under load idles the workers; a blocked `flock` wakes the next writer at once.
    The lock file is opened per process, since a lock taken through a file descriptor
    inherited across fork() would be shared rather than exclusive.
    """

    def __init__(self, database: str) -> None:
        self._path = database + ".writer-lock"
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._fd is None or self._pid != os.getpid():
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()
