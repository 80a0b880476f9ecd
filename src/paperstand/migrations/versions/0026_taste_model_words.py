"""recommendations: each member's word model beside the embedding classifier (taste_models.word_weights)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 20:40:00

A nullable column: rows written before it have no word model and rank by the embedding alone until the
worker retrains them (the learning recipe's new fingerprint makes it retrain every member).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('taste_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('word_weights', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('taste_models', schema=None) as batch_op:
        batch_op.drop_column('word_weights')
