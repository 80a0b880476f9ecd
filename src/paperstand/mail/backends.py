"""The MailBackend protocol and the backends that need no network: file, console, memory."""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import re
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from paperstand.mail.errors import MailError

if TYPE_CHECKING:
    from paperstand.config import Settings


@dataclass(frozen=True)
class RawMessage:
    """A message already in wire format (CRLF line ends) with its envelope: how digests travel.

    Serialising an ``EmailMessage`` costs more than rendering a digest, so the sender builds the
    bytes once and every backend takes them as they are.
    """

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    message_id: str

    def parsed(self) -> email.message.EmailMessage:
        """The message parsed back, for backends (and tests) that want headers and parts."""
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return message


Outgoing = email.message.EmailMessage | RawMessage


def as_message(message: Outgoing) -> email.message.EmailMessage:
    """Either form as an ``EmailMessage``."""
    return message.parsed() if isinstance(message, RawMessage) else message


def message_id_of(message: Outgoing) -> str:
    """The Message-ID of either form ("" when there is none)."""
    return message.message_id if isinstance(message, RawMessage) else str(message.get("Message-ID", ""))


@runtime_checkable
class MailBackend(Protocol):
    """Something that delivers a message; raises TransientMailError or PermanentMailError."""

    def send(self, message: Outgoing) -> None:
        """Deliver one message to the recipients named in its headers."""

    def close(self) -> None:
        """Release connections or files; the backend may be used again afterwards."""


Outcome = tuple[Any, MailError | None]
"""A message's tag (whatever the caller pushed with it) and its error, or ``None`` once it was accepted."""


class MailStream(Protocol):
    """Many messages in a row, for senders of bulk mail: outcomes may come back later than the push.

    ``push`` hands a message over and returns the outcomes known so far (of this or earlier messages);
    ``flush`` waits for every outstanding one. Every pushed tag comes back exactly once. One thread at a time.
    """

    def push(self, message: Outgoing, tag: Any) -> list[Outcome]:
        """Send ``message``; the outcomes that are settled now."""

    def flush(self) -> list[Outcome]:
        """The outcomes of every message still outstanding."""


class SyncStream:
    """A stream over any backend: each message is sent at once and its outcome returned with the push."""

    def __init__(self, backend: MailBackend) -> None:
        self.backend = backend

    def push(self, message: Outgoing, tag: Any) -> list[Outcome]:
        """Send now; the outcome comes back at once."""
        try:
            self.backend.send(message)
        except MailError as exc:
            return [(tag, exc)]
        return [(tag, None)]

    def flush(self) -> list[Outcome]:
        """Nothing is ever outstanding."""
        return []


def open_stream(backend: MailBackend) -> MailStream:
    """The backend's own stream when it has one (SMTP pipelines), else one message at a time."""
    make = getattr(backend, "stream", None)
    return make() if make is not None else SyncStream(backend)


class FileBackend:
    """Writes each message as one ``.eml`` file in a folder (the development default)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def send(self, message: Outgoing) -> None:
        """Write the message atomically: a reader never sees a half-written file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{eml_name(message)}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.data if isinstance(message, RawMessage) else message.as_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            # Same folder, so the rename is atomic; a re-send with the same Message-ID replaces
            # the earlier file instead of duplicating it.
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Nothing to release."""


def eml_name(message: Outgoing) -> str:
    """A safe file name from the Message-ID, or a random one when there is none."""
    msgid = message_id_of(message).strip().strip("<>")
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", msgid).lstrip(".")[:150]
    return name or uuid.uuid4().hex


class ConsoleBackend:
    """Prints each message to standard output, for development."""

    def send(self, message: Outgoing) -> None:
        """Print the message with a separator line."""
        # Look stdout up on each call so redirection (and pytest's capsys) is honoured.
        out = sys.stdout
        out.write(as_message(message).as_string())
        out.write("\n" + "-" * 72 + "\n")
        out.flush()

    def close(self) -> None:
        """Nothing to release."""


_outboxes: dict[str, list[email.message.EmailMessage]] = {}
_outboxes_lock = threading.Lock()


class MemoryBackend:
    """Keeps messages in ``outbox``; backends made from the same ``memory:NAME`` share it."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        with _outboxes_lock:
            self.outbox = _outboxes.setdefault(name, [])

    def send(self, message: Outgoing) -> None:
        """Append the message (as an ``EmailMessage``) to the shared outbox."""
        parsed = as_message(message)
        with _outboxes_lock:
            self.outbox.append(parsed)

    def close(self) -> None:
        """Nothing to release; the outbox stays readable."""


def clear_memory_outboxes() -> None:
    """Empty every ``memory:`` outbox (for test isolation)."""
    with _outboxes_lock:
        for box in _outboxes.values():
            box.clear()


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to log or show in errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))


def backend_from_url(url: str) -> MailBackend:
    """Build the backend a mail URL names: smtp://, smtps://, file://DIR, console: or memory:[NAME]."""
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme in ("smtp", "smtps"):
        from paperstand.mail.smtp import SmtpBackend  # smtplib and ssl only when used

        return SmtpBackend.from_url(url)
    if scheme == "file":
        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise ValueError(f"mail: file URL {redact_url(url)!r} names no folder")
        return FileBackend(path)
    if scheme == "console":
        return ConsoleBackend()
    if scheme == "memory":
        return MemoryBackend(rest.lstrip("/"))
    raise ValueError(
        f"mail: unknown mail URL {redact_url(url)!r}; expected smtp://, smtps://, file://DIR, console: or memory:"
    )


def mail_backend(settings: Settings) -> MailBackend:
    """The backend the settings ask for, DKIM-signing when a key is configured."""
    backend = backend_from_url(settings.effective_mail_url)
    if settings.dkim_key_file is None:
        return backend
    from email.utils import parseaddr

    from paperstand.mail.dkim import DkimSigningBackend

    domain = settings.dkim_domain or parseaddr(settings.mail_from)[1].rpartition("@")[2]
    if not settings.dkim_selector or not domain:
        raise ValueError("mail: PAPERSTAND_DKIM_KEY_FILE needs PAPERSTAND_DKIM_SELECTOR and a signing domain "
                         "(PAPERSTAND_DKIM_DOMAIN, or an address in PAPERSTAND_MAIL_FROM)")
    try:
        key = Path(settings.dkim_key_file).read_bytes()
    except OSError as exc:
        raise ValueError(f"mail: cannot read DKIM key {settings.dkim_key_file}: {exc.strerror}") from None
    return DkimSigningBackend(backend, settings.dkim_selector, domain, key)
