"""accounts: subscribers linked to the member with the same verified address; outbox claims with an owner

Revision ID: 0013
Revises: 0019
Create Date: 2026-12-03 10:00:00

``subscribers.member_id`` is set when a member verifies (or moves to) an address that has a subscription,
so /settings can lead to that digest's preferences. ``mail_outbox.lease_owner`` names the sender holding a
claim, so a sender whose lease ran out (and whose rows another sender took over) records nothing.

SQLite gets its column through a plain ``ALTER TABLE ... ADD COLUMN ... REFERENCES``: a batch rebuild would
drop ``subscribers``, and with foreign keys on, that drop deletes every opt-in token and digest row pointing
at it. The key has no ``ON DELETE`` action because SQLite cannot add one that its schema reader sees on a
column added later (members are never deleted: a ban keeps the row); removing a member means unlinking first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE subscribers ADD COLUMN member_id INTEGER REFERENCES members (id)")
    else:
        op.add_column('subscribers', sa.Column('member_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_subscribers_member_id', 'subscribers', 'members', ['member_id'], ['id'])
    op.create_index('ix_subscribers_member_id', 'subscribers', ['member_id'], unique=False)
    op.add_column('mail_outbox', sa.Column('lease_owner', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column('mail_outbox', 'lease_owner')
    op.drop_index('ix_subscribers_member_id', table_name='subscribers')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE subscribers DROP COLUMN member_id")
    else:
        op.drop_constraint('fk_subscribers_member_id', 'subscribers', type_='foreignkey')
        op.drop_column('subscribers', 'member_id')
