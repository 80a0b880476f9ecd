"""Optional DKIM signing (dkimpy) with the one-click unsubscribe headers in the signed set."""

from __future__ import annotations

import email.message
import email.policy

import dkim as dkimpy

from paperstand.mail.backends import MailBackend

# dkimpy's recommended set leaves out List-Unsubscribe-Post; Gmail and Yahoo only honour
# one-click unsubscribe when both list headers are covered by the signature (RFC 8058 §4).
SIGNED_HEADERS: tuple[str, ...] = (
    *(h.decode() for h in dkimpy.DKIM.SHOULD),
    "list-unsubscribe",
    "list-unsubscribe-post",
)
# Signed even when absent, so nobody can add them to the message after signing.
ALWAYS_SIGNED = frozenset({"from", "list-unsubscribe", "list-unsubscribe-post"})


def sign(message: email.message.EmailMessage, selector: str, domain: str, private_key_pem: bytes,
         headers: tuple[str, ...] | list[str] = SIGNED_HEADERS) -> email.message.EmailMessage:
    """Add a DKIM-Signature header to ``message`` (in place, replacing any earlier one) and return it."""
    del message["DKIM-Signature"]  # a re-send re-signs instead of carrying a stale signature
    present = {name.lower() for name in message}
    wanted = [h.lower() for h in headers if h.lower() in present or h.lower() in ALWAYS_SIGNED]
    wanted = list(dict.fromkeys(wanted))  # keep order, drop duplicates
    # Sign the bytes exactly as SMTP will carry them (CRLF line ends).
    data = message.as_bytes(policy=email.policy.SMTP)
    try:
        signature = dkimpy.sign(
            data,
            selector.encode("ascii"),
            domain.encode("ascii"),
            private_key_pem,
            include_headers=[h.encode("ascii") for h in wanted],
            # relaxed/relaxed survives the re-folding that the email package and relays do.
            canonicalize=(b"relaxed", b"relaxed"),
        )
    except dkimpy.DKIMException as exc:
        raise ValueError(f"mail: DKIM signing for {domain} failed: {exc}") from exc
    _, _, value = signature.decode("ascii").partition(":")
    # Unfold: the email package folds the header again when it serialises the message.
    message["DKIM-Signature"] = " ".join(value.split())
    return message


class DkimSigningBackend:
    """Wraps a mail backend and signs every message before handing it on."""

    def __init__(self, inner: MailBackend, selector: str, domain: str, private_key_pem: bytes) -> None:
        self.inner, self.selector, self.domain, self.key = inner, selector, domain, private_key_pem

    def send(self, message: email.message.EmailMessage) -> None:
        """Sign, then deliver through the wrapped backend."""
        self.inner.send(sign(message, self.selector, self.domain, self.key))

    def close(self) -> None:
        """Close the wrapped backend."""
        self.inner.close()
