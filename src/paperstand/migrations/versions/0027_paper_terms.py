"""search: each paper's hashed word and word-pair counts beside its vector (paper_embeddings.terms)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 11:05:00

A nullable column: a paper stored before it has no counts until the next embedding run adds them (such a
paper counts as pending; its text is hashed, not embedded again), and until then the recommendations hash its
text when they need its words.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.drop_column('terms')
