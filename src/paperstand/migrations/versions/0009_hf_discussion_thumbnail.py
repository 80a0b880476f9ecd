"""papers: Hugging Face discussion id and thumbnail; index on last_changed_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discussion_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('thumbnail', sa.String(length=512), nullable=True))
        # Its maximum is the Last-Modified time of every conditional answer: one index lookup.
        batch_op.create_index('ix_papers_last_changed_at', ['last_changed_at'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index('ix_papers_last_changed_at')
        batch_op.drop_column('thumbnail')
        batch_op.drop_column('discussion_id')
