"""A response's head waits for its body and both go in one write; nothing is held past the answer."""

from __future__ import annotations

from typing import Any

from paperstand.web.http_protocol import HeadWithBody


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise RuntimeError("unable to perform operation: the handler is closed")
        self.calls.append(("write", data))

    def writelines(self, parts: Any) -> None:
        self.calls.append(("writelines", tuple(parts)))

    def is_closing(self) -> bool:
        self.calls.append(("is_closing", None))
        return self.closed

    def close(self) -> None:
        self.calls.append(("close", None))


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


def wrapped() -> tuple[HeadWithBody, Recorder]:
    raw = Recorder()
    return HeadWithBody(raw), raw  # type: ignore[arg-type]


def test_head_and_body_go_in_one_write() -> None:
    transport, raw = wrapped()
    transport.write(HEAD)
    assert raw.calls == []
    transport.write(b"hello")
    assert raw.calls == [("writelines", (HEAD, b"hello"))]
    transport.write(b"more")  # later body chunks go as they come
    assert raw.calls[-1] == ("write", b"more")


def test_a_head_without_body_is_sent_when_the_transport_is_next_used() -> None:
    transport, raw = wrapped()
    transport.write(HEAD)  # HEAD answer: uvicorn writes no body, then checks the transport
    assert transport.is_closing() is False
    assert [c for c in raw.calls if c[0] != "is_closing"] == [("write", HEAD)]
    assert raw.calls[-1] == ("is_closing", None)  # what uvicorn asked, after the head went out
    transport.write(HEAD)
    transport.close()
    assert [c for c in raw.calls if c[0] != "is_closing"][-2:] == [("write", HEAD), ("close", None)]


def test_interim_answers_and_other_bytes_are_never_held() -> None:
    transport, raw = wrapped()
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nbad")
    assert raw.calls == [("write", b"HTTP/1.1 100 Continue\r\n\r\n"),
                         ("write", b"HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nbad")]


def test_a_head_held_when_the_client_left_is_dropped_quietly() -> None:
    transport, raw = wrapped()
    transport.write(HEAD)
    raw.closed = True  # the connection was lost before the body came
    transport.close()
    assert ("close", None) in raw.calls
    assert not [c for c in raw.calls if c[0] == "write"]
