"""trending_scores.votes_since: when the oldest counted vote came, for the card's "14 votes in 2 days"

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-01 15:00:00

The table already moves the data version (migration 0012's triggers); a new column needs none of its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE (SQLite has both since 3.35): a batch "copy and move" would drop the table's triggers.
    op.add_column('trending_scores', sa.Column('votes_since', paperstand.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column('trending_scores', 'votes_since')
