"""``paperstand users``: make the first admin, list members, change roles, ban and unban."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from paperstand.accounts import admin
from paperstand.accounts.bans import set_ban
from paperstand.accounts.errors import InvalidForm
from paperstand.accounts.roles import ROLES
from paperstand.config import Settings
from paperstand.db import make_engine, make_sessionmaker, migrate
from paperstand.errors import DomainError

app = typer.Typer(
    help="Members: make the first admin, list members, change roles, ban and unban.\n\n"
    "Members join on the site (/join); these commands are for the operator. Roles: "
    f"{', '.join(ROLES)} (curators shape the daily list, moderators hide comments and ban; admins do both).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
err = Console(stderr=True)
out = Console()
T = TypeVar("T")


@contextmanager
def _session() -> Iterator[Session]:
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _run(action: Callable[[Session], T]) -> T:
    """Run ``action``; a refusal (unknown name, weak password, ...) is one line and exit code 1, no traceback."""
    with _session() as session:
        try:
            return action(session)
        except DomainError as exc:
            lines = exc.errors.values() if isinstance(exc, InvalidForm) else [exc.message]
            for line in lines:
                err.print(f"error: {line}", highlight=False, markup=False)
            if exc.hint:
                err.print(exc.hint, highlight=False, markup=False)
            raise typer.Exit(1) from None


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("create-admin")
def create_admin(
    name: Annotated[str, typer.Argument(help="User name: 2-40 letters, digits, '-' or '_'.")],
    email: Annotated[str, typer.Argument(help="Email address, taken as verified.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line "
                                                  "of standard input instead of asking twice.")] = False,
) -> None:
    """Make an admin account (the same password rules as the site: 8+ characters, not a common one).

    Examples:

    * `paperstand users create-admin ada ada@example.org` (asks for the password twice, hidden)
    * `printf '%s\\n' "$PASSWORD" | paperstand users create-admin ada ada@example.org --password-stdin`
    """
    password = _password(password_stdin)
    member = _run(lambda s: admin.create_member(s, name=name, email=email, password=password, role="admin",
                                                now=datetime.now(UTC)))
    out.print(f"Made admin @{member.name} ({member.email}). Log in at /login.", highlight=False, markup=False)


@app.command("list")
def list_members() -> None:
    """Every member, oldest first: name, email, role, verified, banned, joined."""
    rows = _run(admin.members)
    if not rows:
        out.print("No members yet. Make the first one: paperstand users create-admin NAME EMAIL", markup=False)
        return
    table = Table("name", "email", "role", "verified", "banned", "joined")
    for m in rows:
        table.add_row(m.name, m.email, m.role, "yes" if m.email_verified_at else "no",
                      f"yes: {m.ban_reason}" if m.banned_at else "no", m.created_at.strftime("%Y-%m-%d"))
    out.print(table)


@app.command("set-role")
def set_role(
    name: Annotated[str, typer.Argument(help="The member's user name.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Give a member another role, e.g. `paperstand users set-role ada moderator`."""
    member = _run(lambda s: admin.set_role(s, name=name, role=role))
    out.print(f"@{member.name} is now {member.role}.", highlight=False, markup=False)


def _ban(name: str, reason: str, banned: bool) -> None:
    def act(session: Session) -> str:
        member = admin.member_named(session, name)
        done = set_ban(session, member_id=member.id, banned=banned, reason=reason, moderator_id=None,
                       now=datetime.now(UTC))
        return done.name

    who = _run(act)
    out.print(f"@{who} is {'banned: every login ended' if banned else 'no longer banned'} (logged publicly).",
              highlight=False, markup=False)


REASON = typer.Option("--reason", help="Why, in a sentence: it is shown in the public moderation log.")


@app.command("ban")
def ban(name: Annotated[str, typer.Argument(help="The member's user name.")],
        reason: Annotated[str, REASON]) -> None:
    """Ban a member: every right and every login ends at once, e.g. `paperstand users ban eve --reason spam`."""
    _ban(name, reason, True)


@app.command("unban")
def unban(name: Annotated[str, typer.Argument(help="The member's user name.")],
          reason: Annotated[str, REASON]) -> None:
    """Lift a ban (the member logs in again to take part), e.g. `paperstand users unban eve --reason appeal`."""
    _ban(name, reason, False)
