"""watching papers: watches, the events of watched papers, each watcher's alerts, follow settings

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-01 16:50:00

None of these tables moves a data version: they are private to their member and never shown on a cached page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0022'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('watches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'paper_id', name='uq_watches_member_paper')
    )
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.create_index('ix_watches_paper', ['paper_id', 'created_at'], unique=False)

    op.create_table('watch_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=700), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('watch_events', schema=None) as batch_op:
        batch_op.create_index('ix_watch_events_paper', ['paper_id', 'created_at'], unique=False)

    op.create_table('watch_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('digest_row_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['watch_events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'event_id', name='uq_watch_alerts_member_event')
    )
    with op.batch_alter_table('watch_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_watch_alerts_pending', ['member_id', 'sent_at'], unique=False)

    op.create_table('follow_settings',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('watch_delivery', sa.String(length=16), nullable=False),
    sa.Column('updated_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id')
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('follow_settings')
    with op.batch_alter_table('watch_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_watch_alerts_pending')
    op.drop_table('watch_alerts')
    with op.batch_alter_table('watch_events', schema=None) as batch_op:
        batch_op.drop_index('ix_watch_events_paper')
    op.drop_table('watch_events')
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.drop_index('ix_watches_paper')
    op.drop_table('watches')
