"""What account checks raise; ``web/errors.py`` turns them into a login redirect, a 401 or a 403."""

from __future__ import annotations

from paperstand.errors import DomainError


class LoginRequired(DomainError):
    """The action needs a logged-in member (pages send the visitor to /login; the API answers 401)."""

    status = 401
    title = "Log in required"


class NotAllowed(DomainError):
    """The member is logged in but lacks the right (role, ban or an unverified address)."""

    status = 403
    title = "Forbidden"


class InvalidForm(DomainError):
    """A form the rules refuse: ``errors`` maps each field to what is wrong with it; nothing was stored."""

    status = 400
    title = "Please check the form"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class InvalidLink(DomainError):
    """A mailed link (verify, reset, address change) that is unknown, used, expired or for something else."""

    status = 400
    title = "This link does not work"


class TooManyAttempts(DomainError):
    """Too many failed logins for this account or from this address: try again after ``retry_after`` seconds."""

    status = 429
    title = "Too many attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__("Too many failed logins for this account or from your address.",
                         hint=f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again, or reset "
                         "your password.")
        self.retry_after = retry_after
