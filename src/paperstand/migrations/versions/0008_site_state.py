"""site state: a key-value table for instance state (the public address serve records)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('site_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('site_state')
