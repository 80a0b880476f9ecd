"""The offline backends (file, console, memory) and choosing a backend by URL."""

from __future__ import annotations

import os
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperstand.config import Settings
from paperstand.mail import MailBackend, backend_from_url
from paperstand.mail.backends import ConsoleBackend, FileBackend, MemoryBackend, eml_name, redact_url


def message(msgid: str | None = "<abc.123@localhost>", subject: str = "Hello") -> EmailMessage:
    """A small multipart message."""
    msg = EmailMessage()
    msg["From"] = "papers@localhost"
    msg["To"] = "reader@example.org"
    msg["Subject"] = subject
    if msgid:
        msg["Message-ID"] = msgid
    msg.set_content("plain\n")
    msg.add_alternative("<p>html</p>\n", subtype="html")
    return msg


def test_file_backend_writes_parseable_eml(tmp_path: Path) -> None:
    """One .eml per message, named from the Message-ID, parseable back."""
    backend = backend_from_url(f"file://{tmp_path}/out")
    assert isinstance(backend, FileBackend)
    backend.send(message())
    backend.send(message(msgid=None, subject="second"))
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert (tmp_path / "out" / "abc.123@localhost.eml") in files
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert sorted(str(p["Subject"]) for p in parsed) == ["Hello", "second"]
    assert all(p.get_content_type() == "multipart/alternative" for p in parsed)


def test_file_backend_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash mid-write leaves no .eml and no temporary file behind."""
    backend = FileBackend(tmp_path)

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        backend.send(message())
    assert list(tmp_path.iterdir()) == []


def test_file_backend_only_renames_complete_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The visible file appears by rename, already complete."""
    seen: list[tuple[str, bytes]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((Path(dst).name, Path(src).read_bytes()))
        assert not Path(dst).exists()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    FileBackend(tmp_path).send(message())
    [(name, body)] = seen
    assert name == "abc.123@localhost.eml"
    assert body == (tmp_path / name).read_bytes()


def test_file_resend_replaces_instead_of_duplicating(tmp_path: Path) -> None:
    """A re-send reuses the Message-ID (RELIABILITY 6), so it overwrites the same file."""
    backend = FileBackend(tmp_path)
    backend.send(message())
    backend.send(message())
    assert len(list(tmp_path.iterdir())) == 1


def test_eml_name_is_sanitised() -> None:
    """Path separators and dots cannot escape the folder."""
    name = eml_name(message(msgid="<../../etc/passwd@x>"))
    assert "/" not in name and not name.startswith(".")
    assert len(eml_name(message(msgid=None))) == 32


def test_relative_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``file://var/mail`` is relative to the working folder."""
    monkeypatch.chdir(tmp_path)
    backend_from_url("file://var/mail").send(message())
    assert len(list((tmp_path / "var" / "mail").glob("*.eml"))) == 1


def test_console_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole message goes to stdout."""
    backend = backend_from_url("console:")
    assert isinstance(backend, ConsoleBackend)
    backend.send(message(subject="On the console"))
    out = capsys.readouterr().out
    assert "Subject: On the console" in out and "<p>html</p>" in out


def test_memory_collects_and_shares_by_name() -> None:
    """Backends built from the same memory: name share one outbox."""
    a, b, other = backend_from_url("memory:test1"), backend_from_url("memory:test1"), backend_from_url("memory:x")
    assert isinstance(a, MemoryBackend) and isinstance(b, MemoryBackend) and isinstance(other, MemoryBackend)
    a.send(message(subject="one"))
    b.send(message(subject="two"))
    assert [m["Subject"] for m in a.outbox] == ["one", "two"]
    assert b.outbox is a.outbox
    assert other.outbox == []


def test_every_backend_follows_the_protocol(tmp_path: Path) -> None:
    """All URL kinds give a MailBackend."""
    for url in (f"file://{tmp_path}", "console:", "memory:", "smtp://127.0.0.1:1", "smtps://127.0.0.1:1"):
        backend = backend_from_url(url)
        assert isinstance(backend, MailBackend)
        backend.close()


def test_unknown_scheme_is_rejected_without_password() -> None:
    """The error names the URL but never its password."""
    with pytest.raises(ValueError, match="unknown mail URL") as info:
        backend_from_url("smtpx://me:s3cret@mail.example:25")
    assert "s3cret" not in str(info.value)
    assert "me:***@mail.example:25" in str(info.value)
    with pytest.raises(ValueError, match="'nonsense'"):
        backend_from_url("nonsense")


def test_redact_url() -> None:
    """Only the password is hidden."""
    assert redact_url("smtp://u:p@h:25?starttls=1") == "smtp://u:***@h:25?starttls=1"
    assert redact_url("smtp://h:25") == "smtp://h:25"


def test_default_mail_url_is_files_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Unset PAPERSTAND_MAIL_URL writes .eml files under the data folder."""
    monkeypatch.delenv("PAPERSTAND_MAIL_URL", raising=False)
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.effective_mail_url == f"file://{tmp_path.resolve()}/mail"
    backend = backend_from_url(settings.effective_mail_url)
    assert isinstance(backend, FileBackend) and backend.directory == tmp_path.resolve() / "mail"
    monkeypatch.setenv("PAPERSTAND_MAIL_URL", "memory:")
    assert Settings().effective_mail_url == "memory:"
