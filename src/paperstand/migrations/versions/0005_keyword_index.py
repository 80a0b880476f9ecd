"""keyword search index: FTS5 table on SQLite, weighted tsvector GIN index on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:40:00

Neither object is a SQLAlchemy model: both are derived from ``papers`` and rebuilt by
``paperstand.search.sync.reindex``. ``paperstand.search.sync.is_search_index_object`` keeps
autogenerate from proposing to drop them.
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Must equal paperstand.search.database.PG_DOCUMENT (without the table prefix PostgreSQL drops).
PG_DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce((authors)::text, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C'))"
)


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        # A regular (not external-content) FTS5 table: it keeps its own copy of the text, so a row can
        # be deleted by rowid alone when the paper changes, without knowing the old text.
        op.execute("CREATE VIRTUAL TABLE papers_fts USING fts5("
                   "title, authors, abstract, tokenize = 'porter unicode61 remove_diacritics 2')")
        op.execute("INSERT INTO papers_fts (rowid, title, authors, abstract) "
                   "SELECT id, title, authors, abstract FROM papers")
    else:
        op.execute(f"CREATE INDEX ix_papers_search ON papers USING gin ({PG_DOCUMENT})")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE papers_fts")
    else:
        op.execute("DROP INDEX ix_papers_search")
