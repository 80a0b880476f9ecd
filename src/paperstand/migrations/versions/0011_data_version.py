"""data_version: a counter that every write to what pages show moves forward (the page cache's key)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:00:00

Triggers rather than application code, so that every writer counts, whichever process or module it is
(``import`` and ``harvest`` from a shell, ``embed``, the worker, later votes and comments), and a write
made with raw SQL too. The counter is a row updated inside the writing transaction, so it becomes
visible atomically with the data it describes: a reader that sees the new number also sees the new
rows (a sequence or a Redis INCR would be visible before the commit, and a page rendered from the old
rows could then be cached under the new number).

SQLite serialises writers anyway, so a row trigger adds one small UPDATE per written row and no
waiting. On PostgreSQL concurrent writers would queue on the counter row for the rest of their
transactions, and could deadlock with row locks taken later; so the trigger is a deferred constraint
trigger (it runs at COMMIT, after every other statement, when the transaction takes no further locks)
and bumps once per transaction, remembered in a transaction-local setting.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Every table whose rows appear on a public page, feed or API answer.
TABLES = ("papers", "daily_picks", "external_signals", "paper_embeddings")
EVENTS = ("INSERT", "UPDATE", "DELETE")

PG_FUNCTION = """
CREATE FUNCTION paperstand_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('paperstand.data_version_txid', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('paperstand.data_version_txid', txid_current()::text, true);
        UPDATE data_version SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 1)")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(PG_FUNCTION)
    for table in TABLES:
        for event in EVENTS:
            name = f"data_version_{table}_{event.lower()}"
            if sqlite:
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                           "UPDATE data_version SET version = version + 1 WHERE id = 1; END")
            else:
                op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} "
                           "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                           "EXECUTE FUNCTION paperstand_bump_data_version()")


def downgrade() -> None:
    """Revert this revision."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        for event in EVENTS:
            name = f"data_version_{table}_{event.lower()}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS paperstand_bump_data_version()")
    op.drop_table('data_version')
