"""``paperstand mail``: feed complaint (ARF) and bounce reports mailed back to the site into the suppression list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paperstand.config import Settings
from paperstand.db import make_engine, make_sessionmaker, migrate
from paperstand.mail.feedback import Feedback, apply_feedback, read_report

app = typer.Typer(help="Mail: deliver the outbox now; feed complaint and bounce reports into the suppression list.",
                  no_args_is_help=True)
console = Console(stderr=True)
out = Console()


@app.command("feedback")
def feedback_command(
    paths: Annotated[list[Path], typer.Argument(help="Report files (.eml) or Maildir folders to read.")],
) -> None:
    """Suppress every address that complained (ARF, RFC 5965) or bounced for good (RFC 3464, 5.x.x).

    Messages that are no such report (ordinary mail in a Maildir) are skipped. Reading the same report
    twice changes nothing. The exit code is 1 when a named file cannot be read or is no report.

    Example: `paperstand mail feedback ~/Maildir/.Feedback`
    """
    settings = Settings()
    reports: list[tuple[str, Feedback]] = []
    failed = False
    for path, named in _messages(paths):
        try:
            report = read_report(path.read_bytes(), settings.effective_secret_key)
        except OSError as exc:
            _say(f"{path}: cannot read: {exc.strerror or exc}")
            failed = True
            continue
        if report is None:
            if named:
                _say(f"{path}: not a complaint or hard-bounce report")
                failed = True
            continue
        reports.append((str(path), report))
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        for name, report in reports:
            done = apply_feedback(session, [report], settings)
            what = f"{report.kind}: {done[0]} suppressed" if done else f"{report.kind} for nobody we know"
            out.print(f"{name}: {what}", highlight=False, markup=False, soft_wrap=True)
    engine.dispose()
    if failed:
        raise typer.Exit(1)


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def _messages(paths: list[Path]) -> Iterator[tuple[Path, bool]]:
    """Each file named, or each message in a Maildir's ``new`` and ``cur``; ``True`` for a named file."""
    for path in paths:
        if not path.is_dir():
            yield path, True
            continue
        for sub in ("new", "cur"):
            folder = path / sub
            if folder.is_dir():
                yield from ((f, False) for f in sorted(folder.iterdir()) if f.is_file())


@app.command("send")
def send_command() -> None:
    """Deliver the queued single messages now (verification, reset, notices), instead of at the next minute.

    The worker's `send_mail` job does this every minute; failures are retried with backoff and given up on
    after about a day. Example: `paperstand mail send`
    """
    from paperstand.mail.outbox_send import send_outbox_now

    report = send_outbox_now(Settings())
    out.print(f"outbox: {report.line()}", highlight=False, markup=False)
    if report.failed:
        raise typer.Exit(1)
