"""community: members, sessions, tokens, votes, comments, claims, curation and moderation logs, trending

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:45:04

Every new table whose rows a public page shows moves the data version (the page cache's key) through the
same triggers as migration 0011.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('leased_until', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('name_key', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('email_verified_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('banned_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('ban_reason', sa.Text(), nullable=True),
    sa.Column('show_upvotes', sa.Boolean(), nullable=False),
    sa.Column('notify_mentions', sa.Boolean(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('password_changed_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('new_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_member_id'), ['member_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_member_id'), ['member_id'], unique=False)

    op.create_table('author_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('author_index', sa.Integer(), nullable=False),
    sa.Column('author_name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('decided_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'member_id', name='uq_author_claims_paper_member')
    )
    with op.batch_alter_table('author_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_claims_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_author_claims_paper_id'), ['paper_id'], unique=False)
        batch_op.create_index('ix_author_claims_status', ['status', 'created_at'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('edited_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('hidden_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'idempotency_key', name='uq_comments_member_key')
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_comments_paper_created', ['paper_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_parent_id'), ['parent_id'], unique=False)

    op.create_table('curation_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('curation_log', schema=None) as batch_op:
        batch_op.create_index('ix_curation_log_day', ['day', 'created_at'], unique=False)

    op.create_table('member_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_sessions_member_id'), ['member_id'], unique=False)

    op.create_table('moderation_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('target_member_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_member_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_log_created', ['created_at'], unique=False)

    op.create_table('trending_scores',
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('votes', sa.Float(), nullable=False),
    sa.Column('votes_part', sa.Float(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('stars_part', sa.Float(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('comments_part', sa.Float(), nullable=False),
    sa.Column('age_hours', sa.Float(), nullable=False),
    sa.Column('age_part', sa.Float(), nullable=False),
    sa.Column('computed_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('paper_id')
    )
    with op.batch_alter_table('trending_scores', schema=None) as batch_op:
        batch_op.create_index('ix_trending_scores_score', ['score'], unique=False)

    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'member_id', name='uq_votes_paper_member')
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('ix_votes_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_paper_id'), ['paper_id'], unique=False)

    op.create_table('comment_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', paperstand.db.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', paperstand.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('comment_id', 'member_id', name='uq_comment_flags_comment_member')
    )
    with op.batch_alter_table('comment_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_flags_comment_id'), ['comment_id'], unique=False)

    with op.batch_alter_table('daily_picks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', paperstand.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('curator_pick', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('hidden_at', paperstand.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_daily_picks_member_id'), ['member_id'], unique=False)
        batch_op.create_foreign_key('fk_daily_picks_member_id', 'members', ['member_id'], ['id'], ondelete='SET NULL')

    _triggers(create=True)


def downgrade() -> None:
    """Revert this revision."""
    _triggers(create=False)
    with op.batch_alter_table('daily_picks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_daily_picks_member_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_daily_picks_member_id'))
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('curator_pick')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('member_id')

    with op.batch_alter_table('comment_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_flags_comment_id'))

    op.drop_table('comment_flags')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_paper_id'))
        batch_op.drop_index('ix_votes_member_created')

    op.drop_table('votes')
    with op.batch_alter_table('trending_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_trending_scores_score')

    op.drop_table('trending_scores')
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_log_created')

    op.drop_table('moderation_log')
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_sessions_member_id'))

    op.drop_table('member_sessions')
    with op.batch_alter_table('curation_log', schema=None) as batch_op:
        batch_op.drop_index('ix_curation_log_day')

    op.drop_table('curation_log')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_parent_id'))
        batch_op.drop_index('ix_comments_paper_created')
        batch_op.drop_index(batch_op.f('ix_comments_member_id'))

    op.drop_table('comments')
    with op.batch_alter_table('author_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_author_claims_status')
        batch_op.drop_index(batch_op.f('ix_author_claims_paper_id'))
        batch_op.drop_index(batch_op.f('ix_author_claims_member_id'))

    op.drop_table('author_claims')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_member_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_member_id'))

    op.drop_table('account_tokens')
    op.drop_table('members')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')


# Tables shown on public pages, feeds or API answers (0011 covers papers, picks, signals, embeddings).
TABLES = ("members", "votes", "comments", "author_claims", "trending_scores")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _triggers(*, create: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        for event in EVENTS:
            name = f"data_version_{table}_{event.lower()}"
            if not create:
                op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
            elif sqlite:
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                           "UPDATE data_version SET version = version + 1 WHERE id = 1; END")
            else:
                op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} "
                           "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                           "EXECUTE FUNCTION paperstand_bump_data_version()")
