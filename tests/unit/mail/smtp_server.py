"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the mail tests, with scripted answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

# Recipients the handler refuses or defers, to exercise the error mapping.
NO_SUCH_USER = "ghost@example.org"
DEFER_DATA = "later@example.org"


@dataclass
class Received:
    """One message as the server saw it."""

    peer: tuple[str, int]
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Handler:
    """Accepts everything except the scripted addresses."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        """Refuse one address permanently."""
        if address == NO_SUCH_USER:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Defer mail for one address; record the rest with the connection it came on."""
        if DEFER_DATA in envelope.rcpt_tos:
            return "451 4.3.0 try later"
        self.received.append(Received(tuple(session.peer), envelope.mail_from,
                                      list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """A started aiosmtpd controller that can be restarted on the same port."""

    def __init__(self, handler: Handler, port: int) -> None:
        self.handler = handler
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}?timeout=5&helo=client.test"
        self.controller: Any = None

    def start(self) -> None:
        """Listen on the port."""
        self.controller = aiosmtpd_controller.Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening and drop every open connection."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def run_server() -> Iterator[SmtpServer]:
    """Start a server for one test and stop it afterwards."""
    server = SmtpServer(Handler(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def digest(to: str = "reader@example.org") -> EmailMessage:
    """A small multipart/alternative message with list headers."""
    msg = EmailMessage()
    msg["From"] = "paperstand <papers@localhost>"
    msg["To"] = to
    msg["Subject"] = "Today's papers — Überblick"
    msg["Message-ID"] = make_msgid(domain="localhost")
    msg["List-Unsubscribe"] = "<https://papers.example/unsubscribe/tok123>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content("Plain body\n")
    msg.add_alternative("<p>HTML body</p>\n", subtype="html")
    return msg
