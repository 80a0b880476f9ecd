"""The door for request text: a path, query or form value holding a control character never reaches a handler.

NUL and other control characters have no meaning in an address, a search or a form field, and they break
what comes after: PostgreSQL refuses NUL in text, XML (feeds) cannot hold most controls, and a line break
in a mail header would start a new one. One ASGI middleware refuses them for every route at once: a path
answers 404 (there is no such page), a query or form value 400 naming the parameter, in the shape of the
other errors (JSON under ``/api/``, the HTML error page elsewhere). Tab, line feed and carriage return stay
allowed in query and form values (a pasted search, a textarea); they are legal wherever values go.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperstand.web.errors import error_response

# C0 and C1 controls (with DEL), lone surrogates and the two non-characters XML refuses.
_IN_PATH = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_IN_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Forms here are a few short fields; a body larger than this is not one of them.
MAX_FORM_BYTES = 64 * 1024
_FORM = "application/x-www-form-urlencoded"


def bad_character(value: str, pattern: re.Pattern[str] = _IN_VALUE) -> str | None:
    """The first character of ``value`` that no request may carry, as ``U+XXXX``; ``None`` when clean."""
    found = pattern.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _named(name: str) -> str:
    """How a message names a parameter: its name when that is itself clean and short."""
    return f"'{name}'" if len(name) <= 40 and bad_character(name, _IN_PATH) is None else "a parameter"


def query_problem(query: str) -> str | None:
    """Why a query (or urlencoded form) string is refused, or ``None``."""
    # Decoded the way Starlette decodes it (UTF-8, bad bytes replaced), so what is checked is what the
    # handler would see.
    for name, value in parse_qsl(query, keep_blank_values=True):
        char = bad_character(name) or bad_character(value)
        if char is not None:
            return f"The parameter {_named(name)} holds a control character ({char}), which no value may contain."
    return None


class RequestGuard:
    """ASGI middleware: refuse control characters in the path, the query string and urlencoded forms."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request; answer 404/400 at once, or pass it on (with its body replayed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # The raw path, decoded without the router's help, so "%00" in any segment is seen.
        raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
        path = unquote(raw.decode("latin-1").split("?", 1)[0], errors="replace")
        if bad_character(path, _IN_PATH) or bad_character(scope["path"], _IN_PATH):
            await error_response(request, 404, "Not found", "There is no page at this address.")(scope, receive, send)
            return
        problem = query_problem(scope.get("query_string", b"").decode("latin-1"))
        if problem is None and _is_form(scope):
            body, receive = await _read_body(receive)
            if body is None:
                await error_response(request, 413, "Request too large",
                                     "That form is larger than any form here.")(scope, receive, send)
                return
            problem = query_problem(body.decode("latin-1"))
        if problem is not None:
            await error_response(request, 400, "Bad request", problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == _FORM.encode())
    return False


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (``None`` when over the cap) and a ``receive`` that hands it to the app again."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def install_request_guard(app: ASGIApp) -> None:
    """Add the guard to a Starlette/FastAPI ``app`` (see the module docstring)."""
    app.add_middleware(RequestGuard)  # type: ignore[attr-defined]
