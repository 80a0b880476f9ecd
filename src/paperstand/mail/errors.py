"""Mail delivery errors: transient (retry later) or permanent (suppress the address)."""

from __future__ import annotations

import smtplib


class MailError(Exception):
    """A message could not be delivered; carries the SMTP code and text when the server answered."""

    def __init__(self, text: str, code: int | None = None,
                 recipients: dict[str, tuple[int, str]] | None = None) -> None:
        self.code = code
        self.text = text
        # Per-address answers when the server refused recipients (RCPT TO).
        self.recipients = recipients or {}
        super().__init__(f"mail: {code} {text}" if code is not None else f"mail: {text}")


class TransientMailError(MailError):
    """A 4xx answer, a dropped connection or a timeout: retry later with backoff."""


class PermanentMailError(MailError):
    """A 5xx answer about the recipient or the message: do not retry, suppress the address."""


def _decode(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _by_code(code: int, text: str, recipients: dict[str, tuple[int, str]] | None = None) -> MailError:
    """5xx is permanent, anything else (4xx, odd codes) transient."""
    cls = PermanentMailError if 500 <= code < 600 else TransientMailError
    return cls(text, code, recipients)


def classify(exc: BaseException) -> MailError:
    """Map an smtplib/socket exception to a TransientMailError or PermanentMailError."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = {addr: (int(code), _decode(msg)) for addr, (code, msg) in exc.recipients.items()}
        # Every recipient was refused; one soft refusal means retrying may still succeed for it.
        worst = max((code for code, _ in answers.values()), default=451)
        soft = [code for code, _ in answers.values() if not 500 <= code < 600]
        code = soft[0] if soft else worst
        text = "; ".join(f"{addr}: {code} {msg}" for addr, (code, msg) in answers.items())
        return _by_code(code, text, answers)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused | smtplib.SMTPHeloError):
        # Our login, envelope sender or greeting was refused: a configuration problem, never the
        # recipient's fault, so it must not suppress anybody; retrying after a fix will work.
        return TransientMailError(_decode(exc.smtp_error), exc.smtp_code)
    if isinstance(exc, smtplib.SMTPConnectError):
        return TransientMailError(f"connect refused: {_decode(exc.smtp_error)}", exc.smtp_code)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, _decode(exc.smtp_error))
    if isinstance(exc, TimeoutError):
        return TransientMailError(f"timed out: {exc}")
    # SMTPServerDisconnected, OSError (refused, reset, DNS) and other SMTPException.
    return TransientMailError(f"{type(exc).__name__}: {exc}")
