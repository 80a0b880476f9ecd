"""A real HTTP server on 127.0.0.1 that replays recorded answers, and a clock that never waits."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "harvest"

# (status, headers, body); a body given as chunks is streamed without a Content-Length, ending at close.
Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]
Respond = Callable[[str, dict[str, str]], Reply]


@dataclass
class Seen:
    """One request the server received."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        replay = self.server.replay
        replay.requests.append(Seen(parts.path, params, dict(self.headers)))
        status, headers, body = replay.respond(parts.path, params)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.end_headers()
        try:
            for chunk in body:
                self.wfile.write(chunk)
                replay.streamed += len(chunk)
        except OSError:
            pass  # the client hung up mid-body, as a fetcher over its size cap should

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    replay: ReplayServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up (a fetcher refusing a body too large) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class ReplayServer:
    """Serve ``respond(path, params)`` on a free local port; use as a context manager."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[Seen] = []
        self.streamed = 0  # bytes of chunked bodies written so far
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.replay = self
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        # A short poll interval makes shutdown quick (the default waits up to half a second).
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def seen(self, path: str) -> list[dict[str, str]]:
        """Query parameters of every request to ``path``, in order."""
        return [r.params for r in self.requests if r.path == path]


def scripted(*replies: Reply) -> Respond:
    """Answer with ``replies`` in order, repeating the last one."""
    queue = list(replies)

    def respond(path: str, params: dict[str, str]) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


def archive(page2: str = "arxivraw_cs_page2.xml") -> Respond:
    """arXiv OAI-PMH at /oai (set cs has two pages, other sets are empty) and HF daily papers."""

    def respond(path: str, params: dict[str, str]) -> Reply:
        if path == "/oai":
            name = "oai_error_norecordsmatch.xml"
            if "resumptionToken" in params:
                name = page2
            elif params.get("set") == "cs":
                name = "arxivraw_cs_page1.xml"
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, (FIXTURES / name).read_bytes()
        if path == "/api/daily_papers":
            day_file = FIXTURES / f"hf_daily_{params.get('date')}.json"
            items = json.loads(day_file.read_bytes()) if day_file.exists() else []
            page, limit = int(params.get("p", "0")), int(params.get("limit", "100"))
            body = json.dumps(items[page * limit:(page + 1) * limit]).encode()
            return 200, {"Content-Type": "application/json"}, body
        return 404, {"Content-Type": "text/plain"}, b"not found"

    return respond


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps; sleeps are recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        """Current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and jump ahead instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds


def closed_port_url() -> str:
    """A local URL on which nothing listens, so connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def allow(*urls: str) -> str:
    """A ``fetch_allow_hosts`` value admitting exactly these local servers (their host:port)."""
    return ",".join(urlsplit(url).netloc for url in urls)
