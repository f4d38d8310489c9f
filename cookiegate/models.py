"""Every table, imported in one place so Alembic and `create_all` see the whole schema."""

from cookiegate.consent.models import ConsentRecord, LedgerLane
from cookiegate.database import Base
from cookiegate.registry.models import RegistryEntry
from cookiegate.sites.models import Category, PublishedConfig, Site

__all__ = ["Base", "Category", "ConsentRecord", "LedgerLane", "PublishedConfig", "RegistryEntry",
           "Site"]
