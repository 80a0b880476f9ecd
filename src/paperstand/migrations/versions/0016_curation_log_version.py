"""curation log: its writes move the data version too (the day's log page is public and cached)

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 10:00:00

Every curation step also changes ``daily_picks`` in the same transaction, which moves the versions
already; the triggers make the log page right on their own, whoever writes the table. The log is a page
of the featured lists' family (``/papers/date/…/log``), so its writes move the ``all`` and ``featured``
counters (migration 0019).
"""

from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLES = ("curation_log",)
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    """Apply this revision."""
    _triggers(create=True)


def downgrade() -> None:
    """Revert this revision."""
    _triggers(create=False)


def _triggers(*, create: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        for event in EVENTS:
            for scope in (1, 2):  # all, featured
                name = f"dv{scope}_{table}_{event.lower()}"
                if not create:
                    op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
                elif sqlite:
                    op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                               f"UPDATE data_version SET version = version + 1 WHERE id = {scope}; END")
                else:
                    op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} "
                               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                               f"EXECUTE FUNCTION paperstand_bump_scope({scope})")
