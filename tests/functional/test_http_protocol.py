"""The served HTTP protocol over a raw socket: HEAD, 304, pipelined and keep-alive answers stay whole."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.conftest import LiveServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("var")
    yield from start_server(f"sqlite:///{data / 'paperstand.db'}", Path(data))


def exchange(server: LiveServer, raw: bytes, answers: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Send ``raw`` on one connection and read ``answers`` responses (by Content-Length or chunks)."""
    where = urlsplit(server.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(raw)
        buffer, out = b"", []
        heads = [line for line in raw.split(b"\r\n") if line.split(b" ")[0] in (b"GET", b"HEAD")]
        for n in range(answers):
            while b"\r\n\r\n" not in buffer:
                buffer += sock.recv(65536)
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
            size = 0 if heads[n].startswith(b"HEAD") or status == 304 else int(headers.get("content-length", 0))
            while len(buffer) < size:
                buffer += sock.recv(65536)
            out.append((status, headers, buffer[:size]))
            buffer = buffer[size:]
        return out


def test_head_get_and_conditional_get_on_one_connection(server: LiveServer) -> None:
    host = urlsplit(server.url).netloc.encode()
    first = exchange(server, b"GET /api/daily_papers HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", 1)
    etag = first[0][1]["etag"].encode()
    raw = (b"HEAD / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
           b"GET /api/daily_papers HTTP/1.1\r\nHost: " + host + b"\r\nIf-None-Match: " + etag + b"\r\n\r\n"
           b"GET /api/daily_papers HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")  # pipelined: three at once
    head, not_modified, full = exchange(server, raw, 3)
    assert head[0] == 200 and head[2] == b"" and int(head[1]["content-length"]) > 0
    assert not_modified[0] == 304 and not_modified[2] == b""
    assert full[0] == 200 and full[2] == first[0][2]
    assert re.match(rb"^\[", full[2])  # the body is the JSON list, nothing of another answer mixed in


def test_a_malformed_request_gets_its_answer(server: LiveServer) -> None:
    where = urlsplit(server.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        got = b""
        while True:
            part = sock.recv(65536)
            if not part:
                break
            got += part
    assert got.startswith(b"HTTP/1.1 400")
