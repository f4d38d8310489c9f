"""The cookie registry table: every cookie and storage key a site declares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cookiegate.clock import utcnow
from cookiegate.database import Base


class RegistryEntry(Base):
    __tablename__ = "registry_entries"
    __table_args__ = (UniqueConstraint("site_id", "kind", "name", "match", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    match: Mapped[str] = mapped_column(String(10), default="exact")
    domain: Mapped[str] = mapped_column(String(255), default="")  # "" = any domain of the site
    party: Mapped[str] = mapped_column(String(5), default="first")
    kind: Mapped[str] = mapped_column(String(20), default="cookie")
    provider: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    retention_days: Mapped[float | None] = mapped_column(Float)
    session: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
