"""data_version scopes: separate counters for featured lists, trending, votes and arXiv days

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-01 13:00:00

One counter moved by every write made every cached page stale at once: a harvest of papers nobody
featured re-rendered the front page, and every upvote re-rendered every page. Pages depend on less than
everything, so the counter becomes five (rows of ``data_version``), each moved by the writes that can
change what one family of pages shows (``paperstand.site.version`` says which page reads which):

1 ``all``       every write to a public table except votes and trending scores (whose numbers are
                filled into cached pages at serve time, see ``web/live.py``);
2 ``featured``  writes that can change a featured list: any pick, any member (names on cards), and rows
                of papers that are featured (the paper, its signals, comments, claims, votes, score);
3 ``trending``  any trending score (the order of /papers/trending);
4 ``votes``     any vote (the numbers filled into pages);
5 ``arxiv``     a paper added or removed, or its arXiv date changed (the front page's newest-day link).

Same mechanics as 0011: SQLite row triggers (a condition in ``WHEN``), PostgreSQL deferred constraint
triggers that bump each counter once per transaction at commit.
"""

from __future__ import annotations

from alembic import op

revision = '0019'
down_revision = '0012'
branch_labels = None
depends_on = None

ALL, FEATURED, TRENDING, VOTES, ARXIV = 1, 2, 3, 4, 5
EVENTS = ("INSERT", "UPDATE", "DELETE")
# (table, counters moved by any row, column naming the paper for the "featured" condition or None).
PLAN: tuple[tuple[str, tuple[int, ...], str | None], ...] = (
    ("papers", (ALL,), "id"),
    ("daily_picks", (ALL, FEATURED), None),
    ("external_signals", (ALL,), "paper_id"),
    ("paper_embeddings", (ALL,), None),
    ("members", (ALL, FEATURED), None),
    ("comments", (ALL,), "paper_id"),
    ("author_claims", (ALL,), "paper_id"),
    ("votes", (VOTES,), "paper_id"),
    ("trending_scores", (TRENDING,), "paper_id"),
)
OLD_TABLES = ("papers", "daily_picks", "external_signals", "paper_embeddings",
              "members", "votes", "comments", "author_claims", "trending_scores")

PG_FUNCTION = """
CREATE FUNCTION paperstand_bump_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope integer := TG_ARGV[0]::integer;
    flag text := 'paperstand.data_version_' || TG_ARGV[0];
    paper integer;
BEGIN
    IF current_setting(flag, true) IS NOT DISTINCT FROM txid_current()::text THEN
        RETURN NULL;  -- this transaction moved this counter already
    END IF;
    IF TG_NARGS > 1 THEN  -- only for a featured paper
        IF TG_ARGV[1] = 'id' THEN
            paper := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
        ELSE
            paper := CASE WHEN TG_OP = 'DELETE' THEN OLD.paper_id ELSE NEW.paper_id END;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM daily_picks WHERE paper_id = paper) THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM set_config(flag, txid_current()::text, true);
    UPDATE data_version SET version = version + 1 WHERE id = scope;
    RETURN NULL;
END $$
"""


def _bump(scope: int) -> str:
    return f"UPDATE data_version SET version = version + 1 WHERE id = {scope};"


def _create(sqlite: bool, name: str, event: str, table: str, scope: int, when: str = "",
            paper_column: str | None = None) -> None:
    if sqlite:
        condition = f" WHEN {when}" if when else ""
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table}{condition} BEGIN {_bump(scope)} END")
        return
    args = f"{scope}" + (f", '{paper_column}'" if paper_column else "")
    condition = f" WHEN ({when})" if when and not paper_column else ""
    op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} DEFERRABLE INITIALLY DEFERRED "
               f"FOR EACH ROW{condition} EXECUTE FUNCTION paperstand_bump_scope({args})")


def _featured(event: str, column: str) -> str:
    row = "OLD" if event == "DELETE" else "NEW"
    return f"EXISTS (SELECT 1 FROM daily_picks WHERE paper_id = {row}.{column})"


def upgrade() -> None:
    """Apply this revision."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(f"INSERT INTO data_version (id, version) VALUES ({FEATURED}, 1), ({TRENDING}, 1), "
               f"({VOTES}, 1), ({ARXIV}, 1)")
    for table in OLD_TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()}"
                       + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute(PG_FUNCTION)
    for table, scopes, paper_column in PLAN:
        for event in EVENTS:
            for scope in scopes:
                _create(sqlite, f"dv{scope}_{table}_{event.lower()}", event, table, scope)
            if paper_column:
                _create(sqlite, f"dv{FEATURED}_{table}_{event.lower()}", event, table, FEATURED,
                        when=_featured(event, paper_column) if sqlite else "", paper_column=paper_column)
    for event in ("INSERT", "DELETE"):
        _create(sqlite, f"dv{ARXIV}_papers_{event.lower()}", event, "papers", ARXIV)
    changed = ("OLD.published_at IS NOT NEW.published_at OR OLD.published_precision IS NOT NEW.published_precision"
               if sqlite else "OLD.published_at IS DISTINCT FROM NEW.published_at "
               "OR OLD.published_precision IS DISTINCT FROM NEW.published_precision")
    _create(sqlite, f"dv{ARXIV}_papers_update", "UPDATE", "papers", ARXIV, when=changed)


def downgrade() -> None:
    """Revert this revision: one counter again, moved by every write (as 0011 and 0012 left it)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    names = [f"dv{scope}_{table}_{event.lower()}" for table, scopes, column in PLAN for event in EVENTS
             for scope in (*scopes, *((FEATURED,) if column else ()))]
    names += [f"dv{ARXIV}_papers_{event.lower()}" for event in EVENTS]
    tables = {name: name.split("_", 1)[1].rsplit("_", 1)[0] for name in names}
    for name in dict.fromkeys(names):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {tables[name]}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS paperstand_bump_scope()")
    op.execute(f"DELETE FROM data_version WHERE id > {ALL}")
    for table in OLD_TABLES:
        for event in EVENTS:
            name = f"data_version_{table}_{event.lower()}"
            if sqlite:
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_bump(ALL)} END")
            else:
                op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} "
                           "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                           "EXECUTE FUNCTION paperstand_bump_data_version()")
