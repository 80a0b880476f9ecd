"""``paperstand digest``: send what is due now or a given period's digests; preview one subscriber's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.digests.outbox import SendReport, due_now, eligible, frequency_of, pending_count, utcnow
from paperstand.digests.preview import next_digest, render_for
from paperstand.digests.send import send_due, send_period
from paperstand.mail.backends import MailBackend, mail_backend
from paperstand.papers.periods import BadPeriod, Period, parse_period
from paperstand.site.service import guess_warning, resolve_public_url
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import normalize_email

app = typer.Typer(help="Email digests: send what is due, send a period, or preview a subscriber's next digest.",
                  no_args_is_help=True)
console = Console(stderr=True)


def _parse_period(text: str) -> Period:
    try:
        return parse_period(text, ("day", "week"))
    except BadPeriod as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None


def _moment(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time such as 2026-03-02T09:00:00+00:00",
                                 param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


AT_HELP = "Act as if it were this time (ISO 8601, default UTC), e.g. to check a schedule; default: now."


def _engine() -> tuple[Settings, Engine]:
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    return settings, engine


def _base_url(engine: Engine, settings: Settings) -> str:
    """Where links point: the setting, else what ``serve`` recorded; a guess is said on stderr."""
    public = resolve_public_url(engine, settings)
    if public.guessed:
        console.print(guess_warning(public.url), style="yellow", highlight=False, markup=False, soft_wrap=True)
    return public.url


@contextmanager
def _bar(total: int) -> Iterator[Progress]:
    with Progress(TextColumn("[bold]sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=False, disable=total == 0) as progress:
        yield progress


@app.command("send")
def send(period: Annotated[str | None, typer.Option(
             help="Send this period's digest to every confirmed subscriber of its frequency, whatever their "
                  "send hour: YYYY-MM-DD (daily subscribers) or YYYY-Www (weekly). Default: what is due now.")]
         = None,
         dry_run: Annotated[bool, typer.Option(help="List who would get a digest, and which days it covers; "
                                                    "send and record nothing.")] = False,
         at: Annotated[str | None, typer.Option(help=AT_HELP)] = None,
         rate: Annotated[float | None, typer.Option(
             min=0.001, help="Send at most this many messages a second (your provider's cap). "
                             "Default: PAPERSTAND_MAIL_RATE, else as fast as the mail server takes them.")] = None,
         ) -> None:
    """Send digests once: by default each confirmed subscriber's digest that is due now (their send hour and
    weekday, in their time zone), with the papers featured since their previous digest.

    Safe to run from cron, a worker, or twice at once: each subscriber gets one digest per day or week.
    """
    settings, engine = _engine()
    if rate is not None:
        settings = settings.model_copy(update={"mail_rate": rate})
    chosen = _parse_period(period) if period else None
    now = _moment(at)
    if dry_run:
        with Session(engine) as session:
            _dry_run(session, chosen, now)
        return
    base = _base_url(engine, settings)
    with Session(engine) as session:
        # At most this many messages: rows already waiting plus one per subscriber about to be planned.
        total = pending_count(session, now) + len(
            eligible(session, frequency_of(chosen)) if chosen else due_now(session, now))
    backend = mail_backend(settings)
    try:
        with _bar(total) as progress:
            task = progress.add_task("sending", total=total)
            report = _send(engine, settings, backend, chosen, now, base, lambda n: progress.advance(task, n))
            progress.update(task, total=progress.tasks[0].completed)
    finally:
        backend.close()
    what = chosen.label if chosen else "due now"
    planned = report.planned
    console.print(f"{what}: {planned} planned, {report.sent} sent, {report.skipped} skipped (nothing matched), "
                  f"{report.retried} to retry, {report.suppressed} suppressed")


def _send(engine: Engine, settings: Settings, backend: MailBackend, chosen: Period | None, now: datetime,
          base: str, progress: Callable[[int], None]) -> SendReport:
    """The same sending the worker does (``send_period`` / ``send_due``), with this command's clock."""
    started = utcnow()

    def clock() -> datetime:  # real time, moved to start at ``now`` (``--at``), so leases still run out
        return now + (utcnow() - started)

    if chosen is not None:
        return send_period(engine, settings, chosen, backend, clock=clock, progress=progress, base_url=base)
    return send_due(engine, settings, backend, clock=clock, progress=progress, base_url=base)


def _dry_run(session: Session, chosen: Period | None, now: datetime) -> None:
    if chosen is not None:
        # The same subscribers ``plan`` would create rows for.
        chosen_subs = eligible(session, frequency_of(chosen))
        console.print(f"{chosen.label}: {len(chosen_subs)} subscriber(s) would get a digest")
        for subscriber in chosen_subs:
            console.print(f"  {subscriber.email}", highlight=False)
        return
    owed = due_now(session, now)
    console.print(f"due now: {len(owed)} subscriber(s) would get a digest")
    for subscriber, due in owed:
        console.print(f"  {subscriber.email}  {due.label}  (featured {due.first_day} to {due.last_day})",
                      highlight=False)


@app.command("preview")
def preview(email: Annotated[str, typer.Option(help="The subscriber's address.")],
            period: Annotated[str | None, typer.Option(
                help="Preview this period's digest (YYYY-MM-DD or YYYY-Www) instead of the next one.")] = None,
            html: Annotated[bool, typer.Option(help="Print the HTML part instead of the text.")] = False,
            at: Annotated[str | None, typer.Option(help=AT_HELP)] = None) -> None:
    """Print the digest a subscriber gets next, exactly as it would be sent (nothing is sent or recorded)."""
    settings, engine = _engine()
    with Session(engine) as session:
        subscriber = session.execute(select(Subscriber).where(
            Subscriber.email == normalize_email(email))).scalar_one_or_none()
        if subscriber is None:
            raise typer.BadParameter(f"no subscriber {email!r}", param_hint="--email")
        if period:
            chosen = _parse_period(period)
            message = render_for(session, settings, subscriber, chosen.label, chosen,
                                 base_url=_base_url(engine, settings), now=_moment(at))
            console.print(f"{chosen.label}: the digest for this period", highlight=False)
        else:
            nxt = next_digest(session, settings, subscriber, _moment(at), base_url=_base_url(engine, settings))
            message = nxt.message
            console.print(f"next digest {nxt.label}, due {nxt.due_at:%a %Y-%m-%d %H:%M %Z}"
                          + (f", covering featured days {nxt.days.start} to {nxt.days.end}" if nxt.days else ""),
                          highlight=False)
    if message is None:
        console.print("nothing to send yet: no new featured papers match this subscriber's topics")
        return
    part = message.get_body(("html",) if html else ("plain",))
    print(f"Subject: {message['Subject']}\nTo: {message['To']}\n")
    print(part.get_content() if part is not None else "")
