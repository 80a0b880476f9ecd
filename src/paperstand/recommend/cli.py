"""``paperstand recommend``: retrain the members' taste models now, or show a member's /for-you list."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.papers.models import Paper
from paperstand.papers.periods import BadPeriod
from paperstand.recommend.service import MAX_LIMIT, choose_period, for_you
from paperstand.recommend.training import retrain_all, retrain_member

app = typer.Typer(help="Recommendations (/for-you): retrain taste models, show a member's list.",
                  no_args_is_help=True)
console = Console(stderr=True)


def _member(session: Session, name: str) -> Member:
    found = session.scalars(select(Member).where(Member.name_key == name.strip().lower()[:100])).first()
    if found is None:
        raise typer.BadParameter(f"no member is called {name!r}", param_hint="NAME")
    return found


@app.command("retrain")
def retrain(member: Annotated[str | None, typer.Option(help="Only this member (user name).")] = None) -> None:
    """Retrain every member whose signals changed (the worker does this every 10 minutes); unchanged ones are
    skipped by their signals' fingerprint."""
    engine = make_engine(Settings().effective_database_url)
    migrate(engine)
    try:
        with Session(engine) as session:
            if member is not None:
                done = retrain_member(session, member_id=_member(session, member).id)
                session.commit()
                console.print("retrained" if done else "unchanged: nothing to retrain", highlight=False)
                return
            console.print(retrain_all(session).line(), highlight=False)
    finally:
        engine.dispose()


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The member's user name.")],
         date: Annotated[str | None, typer.Option(help="One day, YYYY-MM-DD.")] = None,
         week: Annotated[str | None, typer.Option(help="One ISO week, YYYY-Www (default: the latest with papers).")]
         = None,
         month: Annotated[str | None, typer.Option(help="One month, YYYY-MM.")] = None,
         limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="At most this many papers.")] = 10) -> None:
    """Print a member's recommended papers of a period with their reasons, as /for-you shows them."""
    engine = make_engine(Settings().effective_database_url)
    migrate(engine)
    try:
        with Session(engine) as session:
            try:
                period = choose_period(session, date=date, week=week, month=month)
            except BadPeriod as exc:
                raise typer.BadParameter(str(exc)) from None
            result = for_you(session, member_id=_member(session, name).id, start=period.start, end=period.end,
                             limit=limit)
            out = Console()
            out.print(f"{period.label}: {result.mode}", highlight=False)
            for rank, rec in enumerate(result.items, start=1):
                paper = session.get(Paper, rec.paper_id)
                out.print(f"{rank:3d}. {paper.title if paper else rec.paper_id}  [{rec.score:.2f}]", highlight=False)
                for reason in rec.reasons:
                    out.print(f"     · {reason}", highlight=False, markup=False)
    finally:
        engine.dispose()
