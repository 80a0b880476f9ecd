"""User names: what may be one (they are addresses, /u/{name}, and @mentions), and the form that must be unique."""

from __future__ import annotations

import re

from paperstand.errors import DomainError

MIN_NAME, MAX_NAME = 2, 40
_NAME = re.compile(rf"[A-Za-z0-9_-]{{{MIN_NAME},{MAX_NAME}}}")
# Names that would pass for the site itself or for a page of it; compared in lower case.
RESERVED = frozenset({
    "about", "account", "accounts", "admin", "administrator", "anonymous", "api", "arxiv", "curate", "curation",
    "curator", "daily", "docs", "feeds", "help", "hooks", "join", "login", "logout", "mail", "me", "mod",
    "moderation", "moderator", "moderators", "new", "null", "none", "paper", "papers", "paperstand",
    "postmaster", "preferences", "register", "reset", "root", "search", "security", "settings", "signup",
    "site", "staff", "static", "submit", "subscribe", "support", "system", "u", "unsubscribe", "user", "users",
    "verify", "webmaster",
})


class InvalidName(DomainError):
    """A user name the rules refuse."""


def name_key(name: str) -> str:
    """The unique form of a name: "Ada" and "ada" are one member."""
    return name.lower()


def check_name(text: str) -> str:
    """The user name as it will be shown, or ``InvalidName`` saying what is wrong."""
    name = text.strip()
    if not _NAME.fullmatch(name):
        raise InvalidName(f"user name: use {MIN_NAME} to {MAX_NAME} letters, digits, '-' or '_'",
                          hint="It is your address here (/u/NAME) and how others mention you (@NAME).")
    if name_key(name) in RESERVED:
        raise InvalidName(f"user name: {name!r} is reserved, please choose another")
    return name
