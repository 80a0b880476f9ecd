"""``paperstand users``: the first admin, the member list, roles, bans; clear refusals with exit code 1."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member
from typer.testing import CliRunner

from paperstand.accounts.models import Member, MemberSession
from paperstand.accounts.passwords import verify_password
from paperstand.cli import app

runner = CliRunner()


@pytest.fixture
def env(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Point the CLI at the test database."""
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    return engine


def _member(engine: Engine, name: str) -> Member:
    with Session(engine) as s:
        return s.scalars(select(Member).where(Member.name_key == name)).one()


def test_help_teaches() -> None:
    result = runner.invoke(app, ["users", "--help"])
    assert result.exit_code == 0
    for command in ("create-admin", "list", "set-role", "ban", "unban"):
        assert command in result.output
    assert "create-admin" in runner.invoke(app, ["users", "create-admin", "--help"]).output


def test_create_admin_from_stdin_is_verified_and_logs_in(env: Engine) -> None:
    result = runner.invoke(app, ["users", "create-admin", "Grace", "Grace@Example.org", "--password-stdin"],
                           input="a long admin passphrase\n")
    assert result.exit_code == 0, result.output
    assert "Made admin @Grace" in result.output
    root = _member(env, "grace")
    assert root.role == "admin" and root.email == "grace@example.org" and root.email_verified_at is not None
    assert verify_password(root.password_hash, "a long admin passphrase")


def test_create_admin_asks_twice_and_refuses_weak_passwords(env: Engine) -> None:
    mismatch = runner.invoke(app, ["users", "create-admin", "grace", "grace@example.org"],
                             input="a long admin passphrase\nsomething else entirely\n")
    assert mismatch.exit_code != 0
    weak = runner.invoke(app, ["users", "create-admin", "grace", "grace@example.org"], input="password\npassword\n")
    assert weak.exit_code == 1 and "most common" in weak.output
    ok = runner.invoke(app, ["users", "create-admin", "grace", "grace@example.org"],
                       input="a long admin passphrase\na long admin passphrase\n")
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["users", "create-admin", "GRACE", "other@example.org", "--password-stdin"],
                          input="a long admin passphrase\n")
    assert again.exit_code == 1 and "taken" in again.output


def test_list_set_role_ban_and_unban(env: Engine) -> None:
    make_member(env, "ada")
    eve = make_member(env, "eve")
    assert "No members yet" not in runner.invoke(app, ["users", "list"]).output
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and "ada@example.org" in listed.output and "eve" in listed.output
    assert runner.invoke(app, ["users", "set-role", "ADA", "curator"]).exit_code == 0
    assert _member(env, "ada").role == "curator"
    banned = runner.invoke(app, ["users", "ban", "eve", "--reason", "spam links"])
    assert banned.exit_code == 0 and "banned" in banned.output
    assert _member(env, "eve").ban_reason == "spam links"
    with Session(env) as s:
        assert s.scalars(select(MemberSession).where(MemberSession.member_id == eve.id)).all() == []
    assert "yes: spam links" in runner.invoke(app, ["users", "list"]).output
    assert runner.invoke(app, ["users", "unban", "eve", "--reason", "appeal upheld"]).exit_code == 0
    assert _member(env, "eve").banned_at is None


@pytest.mark.parametrize("args", [["set-role", "nobody", "member"], ["set-role", "ada", "emperor"],
                                  ["ban", "nobody", "--reason", "x"], ["unban", "nobody", "--reason", "x"],
                                  ["ban", "ada", "--reason", "   "]])
def test_unknown_names_roles_and_empty_reasons_exit_1_with_a_line(env: Engine, args: list[str]) -> None:
    make_member(env, "ada")
    result = runner.invoke(app, ["users", *args])
    assert result.exit_code == 1 and "error:" in result.output and "Traceback" not in result.output


def test_an_empty_list_says_how_to_start(env: Engine) -> None:
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 0 and "create-admin" in result.output
