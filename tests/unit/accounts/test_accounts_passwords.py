"""Passwords (RELIABILITY 8, 9): argon2id with strong parameters, any 8+ characters, common ones refused."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from paperstand.accounts import passwords
from paperstand.accounts.passwords import (
    WeakPassword,
    check_password,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hashes_are_argon2id_with_at_least_19_mib_and_two_passes() -> None:
    stored = hash_password("correct horse battery staple")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism == 1
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stable")
    assert not needs_rehash(stored)


def test_older_parameters_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID).hash("old password here")
    old_type = PasswordHasher(type=Type.I, time_cost=2, memory_cost=19456, parallelism=1).hash("old password here")
    assert verify_password(weak, "old password here")  # still logs in ...
    assert needs_rehash(weak) and needs_rehash(old_type)  # ... and is redone then (see the login tests)
    assert needs_rehash("not a hash at all")


def test_malformed_hashes_and_huge_inputs_match_nothing() -> None:
    assert not verify_password("!", "anything at all")
    assert not verify_password("$argon2id$v=19$m=1,t=1,p=1$bad$bad", "anything at all")
    stored = hash_password("x" * passwords.MAX_LENGTH)
    assert verify_password(stored, "x" * passwords.MAX_LENGTH)
    assert not verify_password(stored, "x" * (passwords.MAX_LENGTH + 1))


@pytest.mark.parametrize("common", ["password", "123456789", "qwertyuiop", "PassWord", "iloveyou", "Football"])
def test_the_most_common_passwords_are_refused_in_any_case(common: str) -> None:
    with pytest.raises(WeakPassword, match="most common"):
        check_password(common)


def test_the_list_is_zxcvbns_and_large() -> None:
    listed = common_passwords()
    assert len(listed) == passwords.COMMON_REFUSED
    assert {"password", "12345678", "sunshine", "trustno1"} <= listed
    assert all(p == p.lower() for p in listed)


@pytest.mark.parametrize("short", ["", "1234567", "äöüßé😀x"[:7], "       "])
def test_fewer_than_eight_characters_are_refused(short: str) -> None:
    with pytest.raises(WeakPassword, match="at least 8"):
        check_password(short)


@pytest.mark.parametrize("good", [
    "correct horse battery staple",
    "eight ch",  # exactly 8, with a space
    "пароль-из-кириллицы",
    "密码很长很长很长很长",
    "🙂🙃🙂🙃🙂🙃🙂🙃",
    "tab\tand spaces  inside",
    "x" * 64,
    "a" * 1000,
])
def test_long_unicode_and_spaced_passwords_are_accepted(good: str) -> None:
    checked = check_password(good)
    assert verify_password(hash_password(checked), good)


def test_too_long_is_refused_to_bound_hashing_cost() -> None:
    with pytest.raises(WeakPassword, match="at most 1000"):
        check_password("a" * 1001)


def test_unicode_is_normalised_so_both_spellings_log_in() -> None:
    composed = "caf\u00e9 au lait tous les jours"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = hash_password(check_password(decomposed))
    assert verify_password(stored, composed) and verify_password(stored, decomposed)


def test_the_name_or_address_is_not_a_password() -> None:
    with pytest.raises(WeakPassword, match="user name or email"):
        check_password("Adalovelace", name="adalovelace")
    with pytest.raises(WeakPassword, match="user name or email"):
        check_password("ada.lovelace@example.org", email="ada.lovelace@example.org")
    with pytest.raises(WeakPassword, match="user name or email"):
        check_password("ada.lovelace", email="ada.lovelace@example.org")


def test_a_dummy_check_costs_what_a_real_one_does() -> None:
    """Unknown accounts get a verification against a hash made with the very same parameters."""
    assert extract_parameters(passwords._dummy_hash()) == extract_parameters(hash_password("abcdefgh"))
    passwords.dummy_verify()  # and a mismatch there is swallowed, not raised
