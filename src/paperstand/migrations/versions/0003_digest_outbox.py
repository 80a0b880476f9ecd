"""digest outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 02:28:57.212209
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('digest_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscriber_id', 'period', name='uq_digest_outbox_subscriber_period')
    )
    with op.batch_alter_table('digest_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_digest_outbox_due', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('digest_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_outbox_due')

    op.drop_table('digest_outbox')
