"""previous_consent_id is indexed only where it is set

A visitor's first choice (most records) has no previous record; indexing its NULL cost every
consent write one B-tree insert for nothing. History look-ups (`previous_consent_id IN (...)`)
still use the partial index.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

WHERE = sa.text("previous_consent_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_consent_records_previous_consent_id', table_name='consent_records')
    op.create_index('ix_consent_records_previous_consent_id', 'consent_records',
                    ['previous_consent_id'], postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index('ix_consent_records_previous_consent_id', table_name='consent_records')
    op.create_index('ix_consent_records_previous_consent_id', 'consent_records',
                    ['previous_consent_id'])
