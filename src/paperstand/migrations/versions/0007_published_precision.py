"""published precision: every arXiv paper gets a date (its id's month when no source gave one), indexed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00

Adds ``papers.published_precision`` ("day" or "month"), backfills it ("day" where a date is stored;
the id's month, precision "month", where none is), and indexes ``published_at`` for the arXiv
listings and date filters. On PostgreSQL it also adds the two category indexes explained in
``paperstand.papers.category_filter`` (derived data, like the keyword index of 0005).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import paperstand.db
from paperstand.papers.published import id_month

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Rows updated per statement while backfilling dates from ids.
BATCH = 5000
# Distinct archives of a JSON category list ("cs.CL" -> "cs", "hep-th" -> "hep-th"); IMMUTABLE so an
# index may use it. Anything but a JSON array has none.
PG_ARCHIVES = """
CREATE FUNCTION paper_archives(categories json) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT split_part(c, '.', 1)), '{}'::text[])
  FROM json_array_elements_text(CASE WHEN json_typeof(categories) = 'array' THEN categories
                                     ELSE '[]'::json END) AS c
$$
"""


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_precision', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_papers_published_at', ['published_at', 'arxiv_id'], unique=False)
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_ARCHIVES)
        op.execute("CREATE INDEX ix_papers_search_categories ON papers USING gin ((categories::jsonb))")
        op.execute("CREATE INDEX ix_papers_search_archives ON papers USING gin (paper_archives(categories))")


def _backfill() -> None:
    """Stored dates are days; papers without one get their id's month."""
    bind = op.get_bind()
    papers = sa.table('papers', sa.column('id', sa.Integer), sa.column('arxiv_id', sa.String),
                      sa.column('published_at', paperstand.db.UTCDateTime()),
                      sa.column('published_precision', sa.String))
    bind.execute(papers.update().where(papers.c.published_at.is_not(None)).values(published_precision='day'))
    rows = bind.execute(sa.select(papers.c.id, papers.c.arxiv_id).where(
        papers.c.published_at.is_(None), papers.c.arxiv_id.is_not(None))).all()
    updates = []
    for pid, arxiv_id in rows:
        month = id_month(arxiv_id)
        if month is not None:
            updates.append({"pid": pid, "at": datetime(month.year, month.month, 1, tzinfo=UTC)})
    stmt = (papers.update().where(papers.c.id == sa.bindparam("pid"))
            .values(published_at=sa.bindparam("at", type_=paperstand.db.UTCDateTime()), published_precision='month'))
    for start in range(0, len(updates), BATCH):
        bind.execute(stmt, updates[start:start + BATCH])


def downgrade() -> None:
    """Revert this revision (dates filled in from ids stay; they are true to the month)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_papers_search_archives")
        op.execute("DROP INDEX ix_papers_search_categories")
        op.execute("DROP FUNCTION paper_archives(json)")
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index('ix_papers_published_at')
        batch_op.drop_column('published_precision')
