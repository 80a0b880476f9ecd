"""for you: collections and saved papers, follows, ratings, and each member's personalisation settings

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-01 16:28:43

None of these tables moves a data version: they are private to their member, and a public collection's page
is not kept in the page cache.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0020'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'slug', name='uq_collections_member_slug')
    )
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collections_member_id'), ['member_id'], unique=False)

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'kind', 'key', name='uq_follows_member_kind_key')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_member_id'), ['member_id'], unique=False)

    op.create_table('paper_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'paper_id', name='uq_paper_ratings_member_paper')
    )
    with op.batch_alter_table('paper_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_paper_ratings_member_created', ['member_id', 'created_at'], unique=False)

    op.create_table('tastes',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.Text(), nullable=False),
    sa.Column('reset_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('started_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id')
    )
    op.create_table('collection_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('read_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('added_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection_id', 'paper_id', name='uq_collection_items_collection_paper')
    )
    with op.batch_alter_table('collection_items', schema=None) as batch_op:
        batch_op.create_index('ix_collection_items_paper', ['paper_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('collection_items', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_items_paper')

    op.drop_table('collection_items')
    op.drop_table('tastes')
    with op.batch_alter_table('paper_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_paper_ratings_member_created')

    op.drop_table('paper_ratings')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_member_id'))

    op.drop_table('follows')
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collections_member_id'))

    op.drop_table('collections')
