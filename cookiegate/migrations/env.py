"""Alembic environment: runs on the connection CookieGate hands over (see Database.upgrade)."""

from alembic import context

from cookiegate.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `cookiegate init-db`: it supplies the connection.")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
