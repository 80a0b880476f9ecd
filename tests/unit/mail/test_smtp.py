"""SMTP delivery against a real local server: arrival, error mapping, connection reuse."""

from __future__ import annotations

import smtplib
import socket
import time
from email import message_from_bytes, policy

import pytest
from smtp_server import DEFER_DATA, NO_SUCH_USER, SmtpServer, digest, free_port

from paperstand.mail import PermanentMailError, TransientMailError, backend_from_url
from paperstand.mail.errors import classify
from paperstand.mail.smtp import SmtpBackend, SmtpConfig


def test_message_arrives_intact(smtp_server: SmtpServer) -> None:
    """Headers, envelope and multipart structure survive the trip."""
    sent = digest()
    backend = backend_from_url(smtp_server.url)
    backend.send(sent)
    backend.close()
    [got] = smtp_server.handler.received
    assert got.mail_from == "papers@localhost"
    assert got.rcpt_tos == ["reader@example.org"]
    parsed = message_from_bytes(got.data, policy=policy.default)
    for name in ("Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "To"):
        assert parsed[name] == sent[name]
    assert parsed.get_content_type() == "multipart/alternative"
    # On the wire lines end in CRLF; the parsed bodies keep them.
    parts = [(p.get_content_type(), p.get_content().replace("\r\n", "\n"))
             for p in parsed.iter_parts()]  # type: ignore[attr-defined]
    assert parts == [("text/plain", "Plain body\n"), ("text/html", "<p>HTML body</p>\n")]


def test_4xx_is_transient(smtp_server: SmtpServer) -> None:
    """451 at DATA means retry later, with the code and text kept."""
    backend = backend_from_url(smtp_server.url)
    with pytest.raises(TransientMailError) as info:
        backend.send(digest(DEFER_DATA))
    assert info.value.code == 451
    assert "4.3.0 try later" in info.value.text
    backend.close()


def test_5xx_recipient_is_permanent(smtp_server: SmtpServer) -> None:
    """550 at RCPT means suppress the address; the answer is kept per recipient."""
    backend = backend_from_url(smtp_server.url)
    with pytest.raises(PermanentMailError) as info:
        backend.send(digest(NO_SUCH_USER))
    assert info.value.code == 550
    assert "no such user" in info.value.text
    assert info.value.recipients == {NO_SUCH_USER: (550, "5.1.1 no such user")}
    # The refusal left the connection usable for the next message.
    backend.send(digest())
    assert len(smtp_server.handler.received) == 1
    backend.close()


def test_connection_is_reused(smtp_server: SmtpServer) -> None:
    """Two sends travel over one connection (same client port)."""
    backend = SmtpBackend.from_url(smtp_server.url)
    backend.send(digest())
    backend.send(digest())
    backend.close()
    first, second = smtp_server.handler.received
    assert first.peer == second.peer
    assert backend.connections_opened == 1


def test_reconnects_after_server_dropped_connection(smtp_server: SmtpServer) -> None:
    """A restart of the server between sends costs a reconnect, not a failure."""
    backend = SmtpBackend.from_url(smtp_server.url)
    backend.send(digest())
    smtp_server.stop()
    smtp_server.start()
    backend.send(digest())
    backend.close()
    assert backend.connections_opened == 2
    assert len(smtp_server.handler.received) == 2


def test_connection_refused_is_transient() -> None:
    """Nobody listening is a retry-later problem."""
    backend = backend_from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")
    with pytest.raises(TransientMailError) as info:
        backend.send(digest())
    assert info.value.code is None


def test_silent_server_times_out() -> None:
    """A server that never greets fails fast as transient."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        backend = backend_from_url(f"smtp://127.0.0.1:{port}?timeout=0.3")
        started = time.monotonic()
        with pytest.raises(TransientMailError, match="timed out"):
            backend.send(digest())
        assert time.monotonic() - started < 3


def test_url_parsing() -> None:
    """Credentials are unquoted, ports default by scheme, flags are checked."""
    cfg = SmtpConfig.from_url("smtp://me%40x.org:p%3Ass@mail.example:2525?starttls=1&timeout=7")
    assert (cfg.host, cfg.port, cfg.username, cfg.password) == ("mail.example", 2525, "me@x.org", "p:ss")
    assert cfg.starttls is True and cfg.timeout == 7 and not cfg.implicit_tls
    assert SmtpConfig.from_url("smtp://mail.example?helo=papers.example").helo == "papers.example"
    assert SmtpConfig.from_url("smtp://mail.example").port == 25
    assert SmtpConfig.from_url("smtp://mail.example").starttls is None
    smtps = SmtpConfig.from_url("smtps://mail.example")
    assert smtps.implicit_tls and smtps.port == 465
    with pytest.raises(ValueError, match="starttls"):
        SmtpConfig.from_url("smtp://mail.example?starttls=maybe")
    with pytest.raises(ValueError, match="no host"):
        SmtpConfig.from_url("smtp://")


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), PermanentMailError, 554),
        (smtplib.SMTPDataError(452, b"4.3.1 storage full"), TransientMailError, 452),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no"), "b@x": (450, b"busy")}), TransientMailError, 450),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no"), "b@x": (553, b"bad")}), PermanentMailError, 553),
        # Our own login or sender being refused must never suppress a recipient.
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), TransientMailError, 535),
        (smtplib.SMTPSenderRefused(550, b"not yours", "papers@localhost"), TransientMailError, 550),
        (smtplib.SMTPServerDisconnected("gone"), TransientMailError, None),
        (ConnectionResetError("reset"), TransientMailError, None),
        (TimeoutError("slow"), TransientMailError, None),
    ],
)
def test_classify(exc: Exception, kind: type, code: int | None) -> None:
    """SMTP answers map to transient (4xx, network) or permanent (5xx about the message)."""
    err = classify(exc)
    assert type(err) is kind
    assert err.code == code
