"""papers, daily picks and external signals

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:34:00.738077
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arxiv_id', sa.String(length=64), nullable=True),
    sa.Column('local_key', sa.String(length=32), nullable=True),
    sa.Column('title_key', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('primary_category', sa.String(length=32), nullable=True),
    sa.Column('published_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('latest_version', sa.Integer(), nullable=True),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('doi', sa.String(length=255), nullable=True),
    sa.Column('journal_ref', sa.Text(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('license', sa.String(length=255), nullable=True),
    sa.Column('pdf_url', sa.String(length=512), nullable=True),
    sa.Column('github_repo', sa.String(length=512), nullable=True),
    sa.Column('project_page', sa.String(length=512), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('ai_summary', sa.Text(), nullable=True),
    sa.Column('ai_keywords', sa.JSON(), nullable=True),
    sa.Column('organization', sa.JSON(), nullable=True),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('first_seen_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('last_changed_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('arxiv_id'),
    sa.UniqueConstraint('local_key')
    )
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_papers_title_key'), ['title_key'], unique=False)

    op.create_table('daily_picks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=128), nullable=True),
    sa.Column('submitted_by_name', sa.String(length=255), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'paper_id', name='uq_daily_picks_day_paper')
    )
    with op.batch_alter_table('daily_picks', schema=None) as batch_op:
        batch_op.create_index('ix_daily_picks_day_position', ['day', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_picks_paper_id'), ['paper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_picks_submitted_by'), ['submitted_by'], unique=False)

    op.create_table('external_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('observed_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'name', name='uq_external_signals_paper_name')
    )
    with op.batch_alter_table('external_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_signals_paper_id'), ['paper_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('external_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_signals_paper_id'))

    op.drop_table('external_signals')
    with op.batch_alter_table('daily_picks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_picks_submitted_by'))
        batch_op.drop_index(batch_op.f('ix_daily_picks_paper_id'))
        batch_op.drop_index('ix_daily_picks_day_position')

    op.drop_table('daily_picks')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_papers_title_key'))

    op.drop_table('papers')
