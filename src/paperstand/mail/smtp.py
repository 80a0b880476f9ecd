"""SMTP delivery over one persistent connection (smtp:// with optional STARTTLS, smtps://)."""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

from paperstand.mail.backends import Outcome, Outgoing, RawMessage, SyncStream, message_id_of
from paperstand.mail.errors import classify

log = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to connect, parsed from a mail URL."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool | None = None  # None: when offered and we are about to log in
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    # Name we greet with; smtplib's default (socket.getfqdn) can mean a slow reverse-DNS lookup
    # and receivers judge mail by whether it matches the sending host.
    helo: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``smtp[s]://[user:password@]host[:port][?starttls=1|0&timeout=S&helo=NAME]``."""
        parts = urlsplit(url)
        implicit = parts.scheme.lower() == "smtps"
        if not parts.hostname:
            raise ValueError(f"mail: SMTP URL names no host: {parts.scheme}://…")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        flag = query.get("starttls")
        if flag is not None and flag not in _TRUE | _FALSE:
            raise ValueError(f"mail: starttls must be 1 or 0, not {flag!r}")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=None if flag is None else flag in _TRUE,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=float(query.get("timeout", "30")),
            helo=query.get("helo"),
        )


class SmtpBackend:
    """Sends through an SMTP server, reusing one connection and reconnecting when it was dropped."""

    def __init__(self, config: SmtpConfig, tls_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.tls_context = tls_context or ssl.create_default_context()
        self._conn: smtplib.SMTP | None = None
        # smtplib connections are not thread-safe; one sender at a time per backend.
        self._lock = threading.Lock()
        self.connections_opened = 0

    @classmethod
    def from_url(cls, url: str) -> SmtpBackend:
        """Build a backend from an ``smtp://`` or ``smtps://`` URL."""
        return cls(SmtpConfig.from_url(url))

    def send(self, message: Outgoing) -> None:
        """Deliver one message; raise TransientMailError or PermanentMailError on failure."""
        with self._lock:
            reused = self._conn is not None
            try:
                self._send_once(message)
            except smtplib.SMTPServerDisconnected as exc:
                if not reused:
                    self._fail(exc)
                # Servers drop idle connections (RFC 5321 lets them after a few minutes); the
                # drop shows up at our first command, before the message was accepted, so one
                # retry on a fresh connection is safe.
                log.info("mail: SMTP connection to %s was closed; reconnecting", self.config.host)
                self._drop()
                try:
                    self._send_once(message)
                except (smtplib.SMTPException, OSError) as retry_exc:
                    self._fail(retry_exc)
            except (smtplib.SMTPException, OSError) as exc:
                self._fail(exc)

    def stream(self) -> SmtpStream:
        """A pipelining stream over this backend's connection, for sending many messages in a row."""
        return SmtpStream(self)

    def _fail(self, exc: BaseException) -> NoReturn:
        """Forget a broken connection and raise the classified error."""
        # A plain error answer leaves the session usable (smtplib sent RSET); anything else
        # (timeout, reset, half-read reply) leaves it in an unknown state.
        if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
            self._drop()
        raise classify(exc) from exc

    def _send_once(self, message: Outgoing) -> None:
        conn = self._conn or self._connect()
        if isinstance(message, RawMessage):
            envelope = (message.mail_from, *message.rcpt_to)
            if len(message.rcpt_to) == 1 and all(a.isascii() for a in envelope) and conn.has_extn("pipelining"):
                send_pipelined(conn, message.mail_from, message.rcpt_to[0], message.data)
                return
            # Non-ASCII addresses need SMTPUTF8; smtplib refuses them politely when the server lacks it.
            options = [] if all(a.isascii() for a in envelope) else ["SMTPUTF8", "BODY=8BITMIME"]
            refused = conn.sendmail(message.mail_from, list(message.rcpt_to), message.data, mail_options=options)
        else:
            refused = conn.send_message(message)
        if refused:
            # Some recipients took it, so raising would make the caller re-send to them too.
            log.warning("mail: %s refused some recipients of %s: %s",
                        self.config.host, message_id_of(message), refused)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        conn: smtplib.SMTP
        if cfg.implicit_tls:
            conn = smtplib.SMTP_SSL(cfg.host, cfg.port, cfg.helo, timeout=cfg.timeout, context=self.tls_context)
        else:
            conn = smtplib.SMTP(cfg.host, cfg.port, cfg.helo, timeout=cfg.timeout)
        try:
            conn.ehlo()
            if not cfg.implicit_tls and self._wants_starttls(conn):
                conn.starttls(context=self.tls_context)
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password or "")
        except BaseException:
            conn.close()
            raise
        if conn.sock is not None:
            # Commands and replies are small and strictly alternate: Nagle's algorithm would hold a
            # command back waiting for the ACK of the previous one.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        self.connections_opened += 1
        return conn

    def _wants_starttls(self, conn: smtplib.SMTP) -> bool:
        if self.config.starttls is not None:
            return self.config.starttls
        # Never send a password in clear text when the server could protect it.
        return bool(self.config.username) and conn.has_extn("starttls")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Say QUIT and close the connection; the next send opens a new one."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()



_LEADING_DOT = re.compile(rb"(?m)^\.")


def _envelope(sender: str, recipient: str) -> bytes:
    """MAIL, RCPT and DATA for one recipient, as one write (the addresses are ASCII, checked by the caller)."""
    for address in (sender, recipient):
        if "\r" in address or "\n" in address:
            raise smtplib.SMTPRecipientsRefused({recipient: (501, b"address contains a line break")})
    return f"mail FROM:{_quoted(sender)}\r\nrcpt TO:{_quoted(recipient)}\r\ndata\r\n".encode("ascii")


_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")


def _quoted(address: str) -> str:
    """``<address>`` as smtplib's ``quoteaddr`` writes it, without its parser for the common plain address."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _content(data: bytes) -> bytes:
    """The message as DATA carries it: dot-stuffed, ending with the lone dot."""
    # Most messages have no line that starts with a dot: finding none is much cheaper than the regex.
    body = _LEADING_DOT.sub(b"..", data) if data.startswith(b".") or b"\n." in data else data
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _envelope_refused(conn: smtplib.SMTP, sender: str, recipient: str) -> smtplib.SMTPException | None:
    """Read the three replies to :func:`_envelope`; ``None`` when DATA may follow, else the refusal (after RSET)."""
    (mail_code, mail_msg), (rcpt_code, rcpt_msg), (data_code, data_msg) = (conn.getreply() for _ in range(3))
    ok = mail_code == 250 and rcpt_code in (250, 251)
    if ok and data_code == 354:
        return None
    if data_code == 354:
        conn.send(".\r\n")  # a server that wrongly opened DATA gets an empty message it will refuse
        conn.getreply()
    _rset(conn)
    if mail_code != 250:
        return smtplib.SMTPSenderRefused(mail_code, mail_msg, sender)
    if rcpt_code not in (250, 251):
        return smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_msg)})
    return smtplib.SMTPDataError(data_code, data_msg)


def send_pipelined(conn: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One message to one recipient with ESMTP PIPELINING (RFC 2920): MAIL, RCPT and DATA go out in one
    write and their replies are read together, then the message; two round trips instead of four.

    smtplib has no pipelining, and the round trips, not the bytes, bound how fast digests go out.
    Failures raise the same smtplib exceptions ``sendmail`` would, after a RSET.
    """
    conn.send(_envelope(sender, recipient))
    refused = _envelope_refused(conn, sender, recipient)
    if refused is not None:
        raise refused
    conn.send(_content(data))
    code, msg = conn.getreply()
    if code != 250:
        _rset(conn)
        raise smtplib.SMTPDataError(code, msg)


def _rset(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        conn.rset()


class SmtpStream:
    """Consecutive messages over the backend's connection, one round trip each (RFC 2920 §3.1).

    A message's content and the next message's MAIL, RCPT and DATA go out in one write, and their
    replies are read on the following push: in between, the caller prepares the next message while the
    server works, so neither waits for the other and no thread is needed. Messages the server cannot
    pipeline (no PIPELINING, several or non-ASCII recipients, an ``EmailMessage``) go one at a time.

    A message whose content went out but whose reply was lost (the connection dropped) is reported as a
    temporary failure: it may have arrived, and a retry re-sends it with the same Message-ID. A message
    whose envelope was not answered is re-sent at once on a new connection: nothing of it was delivered.
    While a stream is open, its backend is used through it alone, from one thread.
    """

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self._content: Any = None  # tag of the message whose content is out, reply unread
        self._envelope: tuple[Any, RawMessage] | None = None  # envelope out, three replies unread

    def _pipelines(self, message: Outgoing) -> bool:
        if not isinstance(message, RawMessage) or len(message.rcpt_to) != 1:
            return False
        if not all(a.isascii() and "\r" not in a and "\n" not in a for a in (message.mail_from, *message.rcpt_to)):
            return False
        conn = self.backend._conn or self.backend._connect()
        return bool(conn.has_extn("pipelining"))

    def push(self, message: Outgoing, tag: Any) -> list[Outcome]:
        """Send ``message``'s envelope (with the previous message's content); the outcomes settled so far."""
        out: list[Outcome] = []
        try:
            pipelines = self._pipelines(message)
        except (smtplib.SMTPException, OSError) as exc:  # cannot connect
            return [*self._settle_all(), (tag, classify(exc))]
        if not pipelines:
            return [*self._settle_all(), *self._one(message, tag)]
        assert isinstance(message, RawMessage)
        ready = self._read(out)
        write = (_content(ready[1].data) if ready else b"") + _envelope(message.mail_from, message.rcpt_to[0])
        try:
            conn = self.backend._conn or self.backend._connect()
            conn.send(write)
        except (smtplib.SMTPException, OSError) as exc:
            self.backend._drop()
            if ready:  # its content may have gone out in part: never re-send it now
                out.append((ready[0], classify(exc)))
            return [*out, *self._one(message, tag)]
        self._content = ready[0] if ready else None
        self._envelope = (tag, message)
        return out

    def flush(self) -> list[Outcome]:
        """Wait for the replies to everything sent so far."""
        return self._settle_all()

    def _settle_all(self) -> list[Outcome]:
        out: list[Outcome] = []
        ready = self._read(out)
        if ready is not None:
            tag, message = ready
            conn = self.backend._conn
            assert conn is not None
            try:
                conn.send(_content(message.data))
                code, msg = conn.getreply()
            except (smtplib.SMTPException, OSError) as exc:
                self.backend._drop()
                out.append((tag, classify(exc)))
            else:
                if code != 250:
                    _rset(conn)
                out.append((tag, None if code == 250 else classify(smtplib.SMTPDataError(code, msg))))
        return out

    def _read(self, out: list[Outcome]) -> tuple[Any, RawMessage] | None:
        """Read the replies outstanding; the message whose envelope was accepted (its content is next)."""
        content, envelope = self._content, self._envelope
        self._content = self._envelope = None
        if content is None and envelope is None:
            return None
        conn = self.backend._conn
        assert conn is not None
        try:
            if content is not None:
                code, msg = conn.getreply()
                out.append((content, None if code == 250 else classify(smtplib.SMTPDataError(code, msg))))
                content = None
            if envelope is not None:
                tag, message = envelope
                refused = _envelope_refused(conn, message.mail_from, message.rcpt_to[0])
                if refused is not None:  # an answer, after which RSET left the session usable
                    out.append((tag, classify(refused)))
                    return None
                return envelope
        except (smtplib.SMTPException, OSError) as exc:
            self.backend._drop()
            if content is not None:  # sent, unacknowledged: it may have arrived
                out.append((content, classify(exc)))
            if envelope is not None:  # nothing of it was delivered: send it again on a new connection
                out += self._one(envelope[1], envelope[0])
        return None

    def _one(self, message: Outgoing, tag: Any) -> list[Outcome]:
        """Send one message the plain way (the backend's own retry on a dropped connection included)."""
        return SyncStream(self.backend).push(message, tag)
