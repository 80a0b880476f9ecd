"""Fixtures for the mail tests: a local SMTP server and isolated memory outboxes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from smtp_server import SmtpServer, run_server

from paperstand.mail.backends import clear_memory_outboxes


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 and a free port."""
    yield from run_server()


@pytest.fixture(autouse=True)
def _empty_outboxes() -> Iterator[None]:
    yield
    clear_memory_outboxes()
