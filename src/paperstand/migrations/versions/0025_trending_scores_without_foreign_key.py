"""trending_scores without a foreign key to papers: a derived table, rewritten in bulk

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-01 17:00:00

The bulk recompute writes up to a row per trending paper. Checking each new row against ``papers`` was
half of PostgreSQL's time to fill an empty table (``EXPLAIN ANALYZE`` of 200,000 rows: 3.3 s of 6.8 s in
the foreign key's trigger), for a guarantee the table does not need: every row is written from a paper
just read, pages join ``papers``, and a row whose paper is gone is not scored by the next bulk run and is
removed by it. Nothing in paperstand deletes papers.

SQLite cannot drop a constraint, so the table is rebuilt; its data-version triggers (migration 0019) are
read from ``sqlite_master`` first and created again on the new table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paperstand.db

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None

COLUMNS = ("paper_id, score, votes, votes_part, stars, stars_part, comments, comments_part, age_hours, "
           "age_part, computed_at, votes_since")


def _columns() -> list[sa.Column]:
    return [sa.Column('paper_id', sa.Integer(), nullable=False),
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
            sa.Column('votes_since', paperstand.db.UTCDateTime(), nullable=True)]


def _rebuild_sqlite(*, foreign_key: bool) -> None:
    """Copy the table into one with (or without) the foreign key, keeping its rows, index and triggers."""
    bind = op.get_bind()
    triggers = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'trending_scores'")]
    extra = [sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE')] if foreign_key else []
    op.create_table('trending_scores_new', *_columns(), *extra, sa.PrimaryKeyConstraint('paper_id'))
    op.execute(f"INSERT INTO trending_scores_new ({COLUMNS}) SELECT {COLUMNS} FROM trending_scores")
    op.drop_table('trending_scores')  # its index and triggers go with it
    op.rename_table('trending_scores_new', 'trending_scores')
    op.create_index('ix_trending_scores_score', 'trending_scores', ['score'], unique=False)
    for sql in triggers:
        op.execute(sql)


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(foreign_key=False)
        return
    for fk in sa.inspect(op.get_bind()).get_foreign_keys('trending_scores'):
        op.drop_constraint(fk['name'] or 'trending_scores_paper_id_fkey', 'trending_scores', type_='foreignkey')


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(foreign_key=True)
        return
    op.execute("DELETE FROM trending_scores WHERE paper_id NOT IN (SELECT id FROM papers)")
    op.create_foreign_key('trending_scores_paper_id_fkey', 'trending_scores', 'papers', ['paper_id'], ['id'],
                          ondelete='CASCADE')
