"""recommendations: each member's trained taste model (weights, bias) and the fingerprint of its signals

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 16:50:00

The table is private to its member and moves no data version: /for-you is never kept in the page cache.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('taste_models',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('weights', sa.LargeBinary(), nullable=False),
    sa.Column('bias', sa.Float(), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('positives', sa.Integer(), nullable=False),
    sa.Column('negatives', sa.Integer(), nullable=False),
    sa.Column('trained_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id')
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('taste_models')
