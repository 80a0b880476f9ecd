"""ESMTP PIPELINING for pre-serialised digests: same outcomes and error mapping as plain SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from smtp_server import DEFER_DATA, NO_SUCH_USER, Handler, SmtpServer, free_port

from paperstand.mail.backends import RawMessage, backend_from_url
from paperstand.mail.errors import PermanentMailError, TransientMailError


@dataclass
class PipeliningHandler(Handler):
    """Advertises PIPELINING and counts how many commands arrived in one read."""

    advertise: bool = True

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        """Add PIPELINING to the extension list."""
        session.host_name = hostname
        if self.advertise:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          mail_options: list[str]) -> str:
        """Defer one sender, take the rest."""
        if address == "busy@example.org":
            return "451 4.3.2 sender deferred"
        envelope.mail_from = address
        return "250 OK"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer(PipeliningHandler(), free_port())  # type: ignore[arg-type]
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _raw(to: str, sender: str = "digests@example.org", body: str = "Hello.\r\n.leading dot\r\n") -> RawMessage:
    data = (f"From: {sender}\r\nTo: {to}\r\nSubject: hi\r\nMessage-ID: <m.{to}>\r\n\r\n{body}").encode()
    return RawMessage(sender, (to,), data, f"<m.{to}>")


def test_messages_arrive_intact_over_one_connection(server: SmtpServer) -> None:
    backend = backend_from_url(server.url)
    for i in range(3):
        backend.send(_raw(f"r{i}@example.org"))
    assert backend._conn is not None and backend._conn.has_extn("pipelining")  # type: ignore[attr-defined]
    backend.close()
    got = server.handler.received
    assert [r.rcpt_tos for r in got] == [["r0@example.org"], ["r1@example.org"], ["r2@example.org"]]
    assert b"\r\n.leading dot\r\n" in got[0].data  # dot-stuffing undone by the server
    assert len({r.peer for r in got}) == 1


def test_refusals_map_to_the_same_errors_and_leave_the_session_usable(server: SmtpServer) -> None:
    backend = backend_from_url(server.url)
    with pytest.raises(PermanentMailError):
        backend.send(_raw(NO_SUCH_USER))
    with pytest.raises(TransientMailError):
        backend.send(_raw(DEFER_DATA))
    with pytest.raises(TransientMailError):
        backend.send(_raw("ok@example.org", sender="busy@example.org"))
    backend.send(_raw("fine@example.org"))  # RSET left the connection in a clean state
    backend.close()
    assert [r.rcpt_tos for r in server.handler.received] == [["fine@example.org"]]


def test_line_breaks_in_addresses_are_refused(server: SmtpServer) -> None:
    backend = backend_from_url(server.url)
    with pytest.raises(PermanentMailError):
        backend.send(_raw("a@example.org\r\nRCPT TO:<b@example.org>"))
    backend.close()
    assert server.handler.received == []
