"""paper embeddings: one stored vector per paper for semantic search

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('paper_embeddings',
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('embedded_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('checked_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('paper_id')
    )
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.create_index('ix_paper_embeddings_embedded_at', ['embedded_at'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.drop_index('ix_paper_embeddings_embedded_at')

    op.drop_table('paper_embeddings')
