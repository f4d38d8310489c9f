"""The consent ledger tables: one append-only row per visitor choice, and one head per lane.

A site's ledger is split into a few independent hash chains ("lanes", chosen by consent id)
so that concurrent writers on PostgreSQL do not queue behind one row lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cookiegate.database import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        UniqueConstraint("site_id", "lane", "seq"),
        Index("ix_consent_records_site_created", "site_id", "created_at"),
        # only records that continue a history have a previous one to look up (0002)
        Index("ix_consent_records_previous_consent_id", "previous_consent_id",
              postgresql_where=text("previous_consent_id IS NOT NULL"),
              sqlite_where=text("previous_consent_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(String(36), unique=True)
    previous_consent_id: Mapped[str | None] = mapped_column(String(36))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    lane: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(16))
    choices: Mapped[str] = mapped_column(Text)  # canonical JSON, every category true or false
    config_version: Mapped[int] = mapped_column(Integer)
    config_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(35))
    source: Mapped[str] = mapped_column(String(16))
    gpc: Mapped[bool] = mapped_column(Boolean)
    # Personal fields: erased on request. Their salted digest stays in the chain.
    page_url: Mapped[str | None] = mapped_column(Text)
    ip_truncated: Mapped[str | None] = mapped_column(String(64))
    ua_family: Mapped[str | None] = mapped_column(String(100))
    ua_os: Mapped[str | None] = mapped_column(String(100))
    ua_device: Mapped[str | None] = mapped_column(String(20))
    personal_salt: Mapped[str | None] = mapped_column(String(32))
    personal_digest: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class LedgerLane(Base):
    """The head of one hash chain: its last sequence number and hash, sealed with the key.

    `base_seq`/`base_hash` mark where the chain starts after retention purged older records.
    """

    __tablename__ = "ledger_lanes"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"),
                                         primary_key=True)
    lane: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    base_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    seal: Mapped[str] = mapped_column(String(64))
