"""Reading the code repository and project page an author types. Pure: nothing here is ever fetched.

Both values end up as links on public pages and in the API, so they are parsed into a fixed shape
rather than stored as typed: a repository is only ever ``https://github.com/<owner>/<repo>`` (whatever
form was pasted), and a project page only an http(s) address with a proper host name, no credentials
and no characters that would need escaping to stay a single URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from paperstand.errors import BadRequest

GITHUB = "https://github.com"
# What we accept from a form: longer is refused rather than cut (the stored columns hold 512).
MAX_TYPED = 500
# GitHub's own rules: owners are 1-39 letters, digits and single inner hyphens; repositories up to 100
# letters, digits, ".", "-" and "_".
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
# The prefixes a pasted GitHub address may start with (scheme optional, "www." optional, SSH form).
_GITHUB_PREFIX = re.compile(r"(?:(?:https?:)?//)?(?:www\.)?github\.com/|git@github\.com:", re.IGNORECASE)
# A host name: labels of letters, digits and inner hyphens, at least two of them (IDNs arrive punycoded).
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Characters a URL cannot hold unescaped (RFC 3986), besides controls and spaces.
_UNSAFE = frozenset('<>"`{}|\\^')


class LinkError(BadRequest):
    """A repository or project page that cannot be read; ``field`` names the form field."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


def _typed(field: str, label: str, text: str) -> str:
    """``text`` stripped, refused when too long or holding control characters."""
    text = text.strip()
    if len(text) > MAX_TYPED:
        raise LinkError(field, f"{label}: at most {MAX_TYPED} characters, please.")
    if any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in text):
        raise LinkError(field, f"{label}: the address cannot contain spaces or control characters.")
    return text


def github_repo(text: str) -> str | None:
    """``https://github.com/owner/repo`` from ``owner/repo`` or any github.com address; ``None`` when empty."""
    text = _typed("github_repo", "code repository", text)
    if not text:
        return None
    hint = "Give it as owner/repo or paste its address, e.g. https://github.com/owner/repo."
    prefix = _GITHUB_PREFIX.match(text)
    rest = text[prefix.end():] if prefix else text
    if prefix is None and (":" in text or text.startswith("//") or "." in text.split("/", 1)[0]):
        raise LinkError("github_repo", "code repository: only repositories on github.com can be linked.", hint=hint)
    # Anything after the repository (/tree/main, ?tab=readme, #readme) names a part of it: dropped.
    path = re.split(r"[?#]", rest, maxsplit=1)[0]
    owner, _, after = path.partition("/")
    repo = after.split("/", 1)[0]
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if not _OWNER.fullmatch(owner) or not _REPO.fullmatch(repo) or repo in (".", ".."):
        raise LinkError("github_repo", f"code repository: {text[:80]!r} does not name a GitHub repository.",
                        hint=hint)
    return f"{GITHUB}/{owner}/{repo}"


def project_page(text: str) -> str | None:
    """An http(s) address with a host name, its scheme and host lower-cased; ``None`` when empty."""
    text = _typed("project_page", "project page", text)
    if not text:
        return None
    hint = "Paste the full address, starting with https://."
    if any(c in _UNSAFE for c in text):
        raise LinkError("project_page", "project page: the address holds characters a link cannot contain.",
                        hint=hint)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise LinkError("project_page", "project page: this is not a valid address.", hint=hint) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise LinkError("project_page", "project page: only http:// and https:// addresses can be linked.",
                        hint=hint)
    if parts.username is not None or parts.password is not None:
        raise LinkError("project_page", "project page: the address cannot contain a user name or password.")
    host = _host(parts.hostname or "")
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def _host(host: str) -> str:
    """A public-looking host name (``example.org``), punycoded; a clear error otherwise."""
    try:
        ascii_host = host.encode("idna").decode("ascii").lower() if host else ""
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise LinkError("project_page", "project page: the address needs a site name such as example.org.",
                        hint="Paste the full address, starting with https://.")
    return ".".join(labels)
