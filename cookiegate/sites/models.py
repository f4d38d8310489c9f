"""Tables for sites, their consent categories and their published (immutable) configurations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cookiegate.clock import utcnow
from cookiegate.database import Base

DEFAULT_LIFETIME_DAYS = 182  # six months, for accepting and for refusing alike
MAX_LIFETIME_DAYS = 395  # thirteen months, the cap regulators name (CNIL, AEPD)
DEFAULT_PROOF_RETENTION_DAYS = 1826  # five years of proof of consent
DEFAULT_LEDGER_LANES = 8


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    theme: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy_url: Mapped[str | None] = mapped_column(String(2048))
    accept_lifetime_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_LIFETIME_DAYS)
    refusal_lifetime_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_LIFETIME_DAYS)
    proof_retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_PROOF_RETENTION_DAYS)
    ledger_lanes: Mapped[int] = mapped_column(Integer, default=DEFAULT_LEDGER_LANES)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    categories: Mapped[list[Category]] = relationship(
        back_populates="site", order_by="Category.position", cascade="all, delete-orphan"
    )


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    necessary: Mapped[bool] = mapped_column(Boolean, default=False)
    # Global Privacy Control treats these as a refused "sale or sharing" of personal data.
    sale_or_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    consent_mode: Mapped[list[str]] = mapped_column(JSON, default=list)

    site: Mapped[Site] = relationship(back_populates="categories")


class PublishedConfig(Base):
    """A snapshot of a site's configuration as visitors saw it. Written once, never updated."""

    __tablename__ = "published_configs"
    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The newest version whose change obliges re-asking visitors (new category, new purpose).
    prompt_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
