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
