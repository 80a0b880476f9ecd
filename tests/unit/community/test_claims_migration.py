"""Migration 0018 adds its column without rebuilding ``papers`` (whose triggers feed search and the page cache)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text

from paperstand.db import alembic_config, make_engine


def _papers_triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers'"
        else:
            sql = ("SELECT DISTINCT trigger_name FROM information_schema.triggers "
                   "WHERE event_object_table = 'papers' AND trigger_schema = current_schema()")
        return set(conn.execute(text(sql)).scalars())


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrade_and_downgrade_keep_the_papers_triggers(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        _to(engine, "0016")
        before = _papers_triggers(engine)
        assert any(name.startswith("dv1_") for name in before)  # 0019 named them by counter
        _to(engine, "0018")
        assert _papers_triggers(engine) == before
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM papers WHERE links_set_by_author")).scalar() == 0
        _to(engine, "0016", down=True)
        assert _papers_triggers(engine) == before
        _to(engine, "0018")
    finally:
        engine.dispose()
