"""claims: one approved member per author position, and links set by a verified author

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 10:00:00

``papers.links_set_by_author`` marks a paper whose code repository and project page a verified author
set here: later imports and harvests leave those two fields alone (``papers.store.merge_record``).

The partial unique index lets at most one approved claim name each author position of a paper, so two
moderators approving two members for the same name at once leave one approval (the other is refused).

The column is added with a plain ``ALTER TABLE`` (no batch copy): on SQLite a batch rebuild of
``papers`` would drop its keyword-index and data-version triggers. Both tables already carry the
data-version triggers (migrations 0011 and 0012), so a change here refreshes cached pages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

APPROVED = sa.text("status = 'approved'")


def upgrade() -> None:
    """Apply this revision."""
    op.add_column('papers', sa.Column('links_set_by_author', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_index('uq_author_claims_approved_position', 'author_claims', ['paper_id', 'author_index'],
                    unique=True, sqlite_where=APPROVED, postgresql_where=APPROVED)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('uq_author_claims_approved_position', table_name='author_claims')
    # Plain SQL for the same reason as above (SQLite has DROP COLUMN since 3.35).
    op.execute("ALTER TABLE papers DROP COLUMN links_set_by_author")
