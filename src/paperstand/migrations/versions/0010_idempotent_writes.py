"""subscribers: when the last opt-in mail was sent; suppressions unique per address and reason

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Keep the newest row of each (email, reason): it is the one that must outrank a later confirmation.
_DEDUPLICATE = """
DELETE FROM suppressions WHERE EXISTS (
    SELECT 1 FROM suppressions AS newer
    WHERE newer.email = suppressions.email AND newer.reason = suppressions.reason
      AND (newer.created_at > suppressions.created_at
           OR (newer.created_at = suppressions.created_at AND newer.id > suppressions.id)))
"""


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opt_in_sent_at', paperstand.db.UTCDateTime(), nullable=True))
    op.execute(_DEDUPLICATE)
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.create_index('uq_suppressions_email_reason', ['email', 'reason'], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_index('uq_suppressions_email_reason')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_column('opt_in_sent_at')
