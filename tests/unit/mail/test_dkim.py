"""DKIM: a signed digest verifies after the SMTP trip, with both list headers signed (RELIABILITY 1)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from smtp_server import SmtpServer, digest

from paperstand.mail import backend_from_url

dkimpy = pytest.importorskip("dkim")
maildkim = pytest.importorskip("paperstand.mail.dkim")


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A fresh 2048-bit key pair: private PEM, DNS TXT record."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    key = tmp_path_factory.mktemp("dkim") / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return Path(key).read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def dns_for(record: bytes) -> Any:
    """A resolver that knows only our selector's TXT record."""
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"sel._domainkey.papers.example." else None
    return dnsfunc


def test_signed_digest_verifies_after_smtp(smtp_server: SmtpServer, rsa_key: tuple[bytes, bytes]) -> None:
    """Captured by a real SMTP server, the message verifies and h= covers both list headers."""
    private, txt = rsa_key
    msg = maildkim.sign(digest(), "sel", "papers.example", private)
    backend = backend_from_url(smtp_server.url)
    backend.send(msg)
    backend.close()
    [got] = smtp_server.handler.received
    assert dkimpy.verify(got.data, dnsfunc=dns_for(txt))
    sig = re.search(rb"^DKIM-Signature:(.*?)\r\n(?![ \t])", got.data, re.S | re.M | re.I)
    assert sig is not None
    signed = {h.strip().lower() for h in re.search(rb"h=([^;]*)", sig.group(1)).group(1).split(b":")}  # type: ignore[union-attr]
    assert {b"from", b"list-unsubscribe", b"list-unsubscribe-post", b"subject"} <= signed


def test_tampering_breaks_the_signature(rsa_key: tuple[bytes, bytes]) -> None:
    """Changing the signed one-click header invalidates the signature."""
    private, txt = rsa_key
    msg = maildkim.sign(digest(), "sel", "papers.example", private)
    del msg["List-Unsubscribe-Post"]
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=Something-Else"
    assert not dkimpy.verify(msg.as_bytes(), dnsfunc=dns_for(txt))


def test_resigning_replaces_the_signature(rsa_key: tuple[bytes, bytes]) -> None:
    """A re-send signs again instead of stacking signatures."""
    private, txt = rsa_key
    msg = maildkim.sign(maildkim.sign(digest(), "sel", "papers.example", private), "sel", "papers.example", private)
    assert len(msg.get_all("DKIM-Signature") or []) == 1
    assert dkimpy.verify(msg.as_bytes(), dnsfunc=dns_for(txt))


def test_bad_key_is_a_clear_error() -> None:
    """A broken key names the domain."""
    with pytest.raises(ValueError, match="papers.example"):
        maildkim.sign(digest(), "sel", "papers.example", b"not a key")


def test_settings_turn_signing_on_for_every_message(smtp_server: SmtpServer, rsa_key: tuple[bytes, bytes],
                                                    tmp_path: Path) -> None:
    """PAPERSTAND_DKIM_* settings wrap the configured backend; what arrives verifies."""
    from paperstand.config import Settings
    from paperstand.mail.backends import mail_backend

    private, txt = rsa_key
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(private)
    settings = Settings(mail_url=smtp_server.url, dkim_key_file=key_file, dkim_selector="sel",
                        mail_from="paperstand <digests@papers.example>")
    backend = mail_backend(settings)
    backend.send(digest())
    backend.close()
    [got] = smtp_server.handler.received
    assert b"d=papers.example" in got.data and dkimpy.verify(got.data, dnsfunc=dns_for(txt))


def test_incomplete_dkim_settings_are_a_clear_error(tmp_path: Path) -> None:
    from paperstand.config import Settings
    from paperstand.mail.backends import mail_backend

    with pytest.raises(ValueError, match="PAPERSTAND_DKIM_SELECTOR"):
        mail_backend(Settings(mail_url="memory:", dkim_key_file=tmp_path / "k.pem"))
    with pytest.raises(ValueError, match="cannot read DKIM key"):
        mail_backend(Settings(mail_url="memory:", dkim_key_file=tmp_path / "missing.pem", dkim_selector="s"))
    assert not isinstance(mail_backend(Settings(mail_url="memory:")), maildkim.DkimSigningBackend)


def test_wire_format_digests_are_signed_too(smtp_server: SmtpServer, rsa_key: tuple[bytes, bytes]) -> None:
    """The digest sender's pre-serialised messages get the same signature, list headers included."""
    from paperstand.mail.backends import RawMessage

    private, txt = rsa_key
    message = digest()
    raw = RawMessage("p@papers.example", ("reader@example.org",), message.as_bytes(policy=email_policy.SMTP),
                     str(message["Message-ID"]))
    backend = maildkim.DkimSigningBackend(backend_from_url(smtp_server.url), "sel", "papers.example", private)
    backend.send(raw)
    backend.close()
    [got] = smtp_server.handler.received
    assert dkimpy.verify(got.data, dnsfunc=dns_for(txt))
    signed = re.search(rb"h=([^;]*)", got.data).group(1).replace(b"\r\n", b"").replace(b" ", b"")  # type: ignore[union-attr]
    assert {b"list-unsubscribe", b"list-unsubscribe-post"} <= set(signed.lower().split(b":"))


def test_streamed_messages_are_signed_too(smtp_server: SmtpServer, rsa_key: tuple[bytes, bytes]) -> None:
    """The sender's stream (one message after another) signs each message on its way in."""
    from paperstand.mail.backends import RawMessage, open_stream

    private, txt = rsa_key
    backend = maildkim.DkimSigningBackend(backend_from_url(smtp_server.url), "sel", "papers.example", private)
    stream = open_stream(backend)
    outcomes = []
    for i in range(3):
        message = digest(f"r{i}@example.org")
        outcomes += stream.push(RawMessage("p@papers.example", (f"r{i}@example.org",),
                                           message.as_bytes(policy=email_policy.SMTP), str(message["Message-ID"])), i)
    outcomes += stream.flush()
    backend.close()
    assert sorted(outcomes) == [(0, None), (1, None), (2, None)]
    assert len(smtp_server.handler.received) == 3
    assert all(dkimpy.verify(got.data, dnsfunc=dns_for(txt)) for got in smtp_server.handler.received)
