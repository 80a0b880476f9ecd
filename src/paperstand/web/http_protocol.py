"""uvicorn's HTTP protocol (httptools) sending each answer's head and body in one system call.

uvicorn writes a response's status line and headers to the socket as soon as the app starts the answer,
and the body when it comes: two ``send`` calls per response, each a trip through the kernel's TCP stack
(on a loopback or a proxy's socket it also wakes the reader). For a cached page the body follows in the
same instant, so the head waits for it here and both go in one ``writev``. On a busy event loop these
writes were a quarter of its time, and every turn of the loop — which each vote waits for — was longer
for it.

Nothing else changes: a head is held only until the next write or the next use of the transport for
anything else (closing, flow control, the end of a HEAD answer), so an answer whose body is slow to
come (a stream) still gets its head before its body, and an interim ``1xx`` answer is never held.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_STATUS_LINE = b"HTTP/1.1 "
_END_OF_HEAD = b"\r\n\r\n"


class HeadWithBody:
    """A transport that holds a response's head until the body's first write, then writes both at once."""

    __slots__ = ("_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        """Write ``data``; a lone response head (not 1xx) waits for what comes next."""
        held = self._held
        if held is not None:
            self._held = None
            self._transport.writelines((held, data))
            return
        if data.startswith(_STATUS_LINE) and data.endswith(_END_OF_HEAD) and data[9:10] != b"1":
            self._held = data
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Write a held head now, unless the connection is already closing (the client left: nobody reads it)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def __getattr__(self, name: str) -> Any:
        # Anything but a write (closing, pausing, is_closing at the end of an answer) sends a held head first.
        self.flush()
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` on a ``HeadWithBody`` transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the connection's transport before uvicorn keeps it."""
        super().connection_made(HeadWithBody(transport))  # type: ignore[arg-type]
