"""The address guard: which addresses the harvest fetcher refuses, the allow-list, and dialling what was checked."""

from __future__ import annotations

import socket
from typing import Any

import httpcore
import pytest

from paperstand.config import Settings
from paperstand.ingest import fetch_guard
from paperstand.ingest.fetch_guard import AddressRefused, GuardedBackend, check_address, parse_allow_hosts


@pytest.mark.parametrize(("address", "reason"), [
    ("0.0.0.0", "unspecified address"),
    ("::", "unspecified address"),
    ("127.0.0.1", "loopback address"),
    ("127.255.0.9", "loopback address"),
    ("::1", "loopback address"),
    ("169.254.169.254", "link-local address"),  # the cloud metadata service
    ("fe80::1", "link-local address"),
    ("fe80::1%2", "link-local address"),
    ("224.0.0.251", "multicast address"),
    ("ff02::1", "multicast address"),
    ("10.0.0.5", "private address"),
    ("172.16.0.1", "private address"),
    ("172.31.255.255", "private address"),
    ("192.168.1.1", "private address"),
    ("fd00::1", "private address"),
    ("fc00::1", "private address"),
    ("240.0.0.1", "reserved address"),
    ("255.255.255.255", "reserved address"),
    ("100.64.0.1", "non-public address"),  # carrier-grade NAT
    ("::ffff:127.0.0.1", "loopback address"),  # IPv4-mapped IPv6 reaches the IPv4 address
    ("::ffff:10.0.0.5", "private address"),
    ("::ffff:169.254.169.254", "link-local address"),
    ("2002:c0a8:101::1", "private address"),  # 6to4 of 192.168.1.1
    ("64:ff9b::a9fe:a9fe", "link-local address"),  # NAT64 of 169.254.169.254
    ("not-an-ip", "not an IP address"),
])
def test_check_address_refuses(address: str, reason: str) -> None:
    assert check_address(address) == reason


@pytest.mark.parametrize("address", [
    "151.101.1.1", "8.8.8.8", "172.32.0.1", "11.0.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
])
def test_check_address_accepts_public_addresses(address: str) -> None:
    assert check_address(address) is None


def test_parse_allow_hosts_is_exact_host_and_port() -> None:
    assert parse_allow_hosts("127.0.0.1:8001, Mirror.LAN:8443,[::1]:9000") == {
        ("127.0.0.1", 8001), ("mirror.lan", 8443), ("::1", 9000)}
    assert parse_allow_hosts("mirror.lan") == {("mirror.lan", 80), ("mirror.lan", 443)}
    assert parse_allow_hosts("") == frozenset() == parse_allow_hosts(" , ")


@pytest.mark.parametrize("value", ["127.0.0.1:notaport", ":8000", "127.0.0.1:99999"])
def test_bad_allow_hosts_fail_when_settings_load(value: str) -> None:
    with pytest.raises(ValueError, match="fetch: bad allowed host"):
        Settings(fetch_allow_hosts=value)


class _Dialled(Exception):
    pass


def test_the_address_checked_is_the_address_dialled(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a second, different answer never reaches the socket, because the name is resolved once."""
    answers = iter(["151.101.1.1", "127.0.0.1"])
    lookups: list[str] = []
    dialled: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kw: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def connect(self: object, host: str, port: int, *args: Any, **kw: Any) -> httpcore.NetworkStream:
        dialled.append(host)
        raise _Dialled(host)

    monkeypatch.setattr(fetch_guard.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    with pytest.raises(_Dialled):
        GuardedBackend(frozenset()).connect_tcp("papers.example.org", 443)
    assert lookups == ["papers.example.org"] and dialled == ["151.101.1.1"]
    with pytest.raises(AddressRefused) as info:  # the next connection sees the new answer, and refuses it
        GuardedBackend(frozenset()).connect_tcp("papers.example.org", 443)
    assert (info.value.address, info.value.reason) == ("127.0.0.1", "loopback address")
    assert dialled == ["151.101.1.1"]


def test_one_private_answer_refuses_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ("151.101.1.1", "10.0.0.5")]

    monkeypatch.setattr(fetch_guard.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(AddressRefused, match=r"papers.example.org → 10.0.0.5: private address"):
        GuardedBackend(frozenset()).connect_tcp("papers.example.org", 443)


def test_names_resolving_to_loopback_are_refused() -> None:
    with pytest.raises(AddressRefused, match="loopback address"):
        GuardedBackend(frozenset()).connect_tcp("localhost", 80)
