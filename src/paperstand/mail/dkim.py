"""Optional DKIM signing (dkimpy) with the one-click unsubscribe headers in the signed set."""

from __future__ import annotations

import email.message
import email.policy
from typing import Any

import dkim as dkimpy

from paperstand.mail.backends import MailBackend, MailStream, Outcome, Outgoing, RawMessage, open_stream

# dkimpy's recommended set leaves out List-Unsubscribe-Post; Gmail and Yahoo only honour
# one-click unsubscribe when both list headers are covered by the signature (RFC 8058 §4).
SIGNED_HEADERS: tuple[str, ...] = (
    *(h.decode() for h in dkimpy.DKIM.SHOULD),
    "list-unsubscribe",
    "list-unsubscribe-post",
)
# Signed even when absent, so nobody can add them to the message after signing.
ALWAYS_SIGNED = frozenset({"from", "list-unsubscribe", "list-unsubscribe-post"})


def _signature(data: bytes, present: set[str], selector: str, domain: str, private_key_pem: bytes,
               headers: tuple[str, ...] | list[str]) -> bytes:
    """The ``DKIM-Signature: ...`` header line (CRLF-terminated) for message bytes with CRLF line ends."""
    wanted = [h.lower() for h in headers if h.lower() in present or h.lower() in ALWAYS_SIGNED]
    wanted = list(dict.fromkeys(wanted))  # keep order, drop duplicates
    try:
        return bytes(dkimpy.sign(
            data,
            selector.encode("ascii"),
            domain.encode("ascii"),
            private_key_pem,
            include_headers=[h.encode("ascii") for h in wanted],
            # relaxed/relaxed survives the re-folding that the email package and relays do.
            canonicalize=(b"relaxed", b"relaxed"),
        ))
    except dkimpy.DKIMException as exc:
        raise ValueError(f"mail: DKIM signing for {domain} failed: {exc}") from exc


def sign(message: email.message.EmailMessage, selector: str, domain: str, private_key_pem: bytes,
         headers: tuple[str, ...] | list[str] = SIGNED_HEADERS) -> email.message.EmailMessage:
    """Add a DKIM-Signature header to ``message`` (in place, replacing any earlier one) and return it."""
    del message["DKIM-Signature"]  # a re-send re-signs instead of carrying a stale signature
    present = {name.lower() for name in message}
    # Sign the bytes exactly as SMTP will carry them (CRLF line ends).
    signature = _signature(message.as_bytes(policy=email.policy.SMTP), present, selector, domain,
                           private_key_pem, headers)
    _, _, value = signature.decode("ascii").partition(":")
    # Unfold: the email package folds the header again when it serialises the message.
    message["DKIM-Signature"] = " ".join(value.split())
    return message


def sign_bytes(data: bytes, selector: str, domain: str, private_key_pem: bytes,
               headers: tuple[str, ...] | list[str] = SIGNED_HEADERS) -> bytes:
    """``data`` (a whole message, CRLF line ends, unsigned) with a DKIM-Signature header in front."""
    head = data.split(b"\r\n\r\n", 1)[0]
    present = {line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
               for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t") and b":" in line}
    return _signature(data, present, selector, domain, private_key_pem, headers) + data


class DkimSigningBackend:
    """Wraps a mail backend and signs every message before handing it on."""

    def __init__(self, inner: MailBackend, selector: str, domain: str, private_key_pem: bytes) -> None:
        self.inner, self.selector, self.domain, self.key = inner, selector, domain, private_key_pem

    def signed(self, message: Outgoing) -> Outgoing:
        """The message with its DKIM-Signature header."""
        if isinstance(message, RawMessage):
            data = sign_bytes(message.data, self.selector, self.domain, self.key)
            return RawMessage(message.mail_from, message.rcpt_to, data, message.message_id)
        return sign(message, self.selector, self.domain, self.key)

    def send(self, message: Outgoing) -> None:
        """Sign, then deliver through the wrapped backend."""
        self.inner.send(self.signed(message))

    def stream(self) -> MailStream:
        """The wrapped backend's stream, signing each message on the way in."""
        return _SigningStream(self, open_stream(self.inner))

    def close(self) -> None:
        """Close the wrapped backend."""
        self.inner.close()


class _SigningStream:
    def __init__(self, backend: DkimSigningBackend, inner: MailStream) -> None:
        self.backend, self.inner = backend, inner

    def push(self, message: Outgoing, tag: Any) -> list[Outcome]:
        return self.inner.push(self.backend.signed(message), tag)

    def flush(self) -> list[Outcome]:
        return self.inner.flush()
