"""``paperstand digest``: send a period's digests, or preview one subscriber's."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.digests.outbox import frequency_of
from paperstand.digests.render import render_digest
from paperstand.digests.send import digest_mail, period_papers, send_period
from paperstand.mail.backends import backend_from_url
from paperstand.mail.templates import mail_env
from paperstand.papers.periods import BadPeriod, Period, day_period, parse_day, parse_week
from paperstand.papers.queries import latest_day
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import may_receive, normalize_email

app = typer.Typer(help="Email digests: send a period's digests, or preview one.", no_args_is_help=True)
console = Console(stderr=True)


def _period(text: str | None, session: Session) -> Period:
    if text is None:
        day = latest_day(session)
        if day is None:
            raise typer.BadParameter("no featured papers yet; pass --period", param_hint="--period")
        return day_period(day)
    try:
        return parse_week(text) if "-W" in text else parse_day(text)
    except BadPeriod as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None


@app.command("send")
def send(period: Annotated[str | None, typer.Option(
             help="YYYY-MM-DD for daily subscribers or YYYY-Www for weekly ones (default: the latest day).")] = None,
         dry_run: Annotated[bool, typer.Option(help="Only list who would get a digest; send nothing.")] = False,
         ) -> None:
    """Send a period's digest to every confirmed subscriber of that frequency, once."""
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with Session(engine) as session:
        chosen = _period(period, session)
        if dry_run:
            subs = session.execute(select(Subscriber).where(Subscriber.frequency == frequency_of(chosen))).scalars()
            eligible = [s.email for s in subs if may_receive(session, s) and not s.paused]
            console.print(f"{chosen.label}: {len(eligible)} subscriber(s) would get a digest")
            for email in eligible:
                console.print(f"  {email}", highlight=False)
            return
    backend = backend_from_url(settings.effective_mail_url)
    try:
        report = send_period(engine, settings, chosen, backend)
    finally:
        backend.close()
    console.print(f"{chosen.label}: {report.planned} planned, {report.sent} sent, {report.skipped} skipped "
                  f"(nothing matched), {report.retried} to retry, {report.suppressed} suppressed")


@app.command("preview")
def preview(email: Annotated[str, typer.Option(help="The subscriber's address.")],
            period: Annotated[str | None, typer.Option(help="YYYY-MM-DD or YYYY-Www (default: latest day).")] = None,
            html: Annotated[bool, typer.Option(help="Print the HTML part instead of the text.")] = False) -> None:
    """Print the digest a subscriber would get for a period (nothing is sent or recorded)."""
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with Session(engine) as session:
        subscriber = session.execute(select(Subscriber).where(
            Subscriber.email == normalize_email(email))).scalar_one_or_none()
        if subscriber is None:
            raise typer.BadParameter(f"no subscriber {email!r}", param_hint="--email")
        chosen = _period(period, session)
        mail = digest_mail(settings, subscriber, chosen, *period_papers(session, chosen))
    message = render_digest(mail_env(), mail, sender=settings.mail_from, base_url=settings.effective_base_url)
    part = message.get_body(("html",) if html else ("plain",))
    print(f"Subject: {message['Subject']}\nTo: {message['To']}\n")
    print(part.get_content() if part is not None else "")
