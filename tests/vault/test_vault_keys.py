"""Master keys: wrapping data keys, the keyring files, and keeping secrets out of sight."""

import os
import secrets
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from classvault.core.home import write_secret_file
from classvault.vault.exceptions import VaultKeyError
from classvault.vault.keys import (
    WRAPPED_SIZE,
    FileKeyProvider,
    LocalKeyProvider,
    kek_id_for,
    key_provider,
    retired_key_files,
)

DATA_KEY = bytes(range(32))
CONTEXT = b"classvault.datakey.v1|some-id|rec-1|original"


def make_kek(path: Path) -> str:
    value = secrets.token_hex(32)
    assert write_secret_file(path, value)
    return value


def test_it_unwraps_what_it_wrapped():
    provider = LocalKeyProvider(os.urandom(32))
    wrapped = provider.wrap(DATA_KEY, CONTEXT)
    assert len(wrapped) == WRAPPED_SIZE
    assert DATA_KEY not in wrapped
    assert provider.unwrap(wrapped, CONTEXT) == DATA_KEY


def test_each_wrap_uses_a_fresh_nonce():
    provider = LocalKeyProvider(os.urandom(32))
    assert provider.wrap(DATA_KEY, CONTEXT) != provider.wrap(DATA_KEY, CONTEXT)


def test_the_wrapped_key_carries_the_kek_id():
    kek = os.urandom(32)
    wrapped = LocalKeyProvider(kek).wrap(DATA_KEY, CONTEXT)
    assert wrapped[1:5].hex() == kek_id_for(kek)


def test_a_wrong_context_does_not_unwrap():
    provider = LocalKeyProvider(os.urandom(32))
    wrapped = provider.wrap(DATA_KEY, CONTEXT)
    with pytest.raises(VaultKeyError):
        provider.unwrap(wrapped, CONTEXT + b"x")


def test_a_tampered_wrapped_key_does_not_unwrap():
    provider = LocalKeyProvider(os.urandom(32))
    wrapped = bytearray(provider.wrap(DATA_KEY, CONTEXT))
    wrapped[-1] ^= 1
    with pytest.raises(VaultKeyError):
        provider.unwrap(bytes(wrapped), CONTEXT)


def test_an_unknown_kek_says_which_one_to_restore():
    old = LocalKeyProvider(os.urandom(32))
    wrapped = old.wrap(DATA_KEY, CONTEXT)
    with pytest.raises(VaultKeyError, match=old.current_kek_id):
        LocalKeyProvider(os.urandom(32)).unwrap(wrapped, CONTEXT)


def test_a_retired_kek_unwraps_but_never_wraps():
    old, new = os.urandom(32), os.urandom(32)
    wrapped_by_old = LocalKeyProvider(old).wrap(DATA_KEY, CONTEXT)
    ring = LocalKeyProvider(new, [old])
    assert ring.unwrap(wrapped_by_old, CONTEXT) == DATA_KEY
    assert ring.wrap(DATA_KEY, CONTEXT)[1:5].hex() == kek_id_for(new)
    assert ring.kek_ids == [kek_id_for(new), kek_id_for(old)]


def test_file_provider_reads_the_configured_master_key(settings):
    value = make_kek(Path(settings.CLASSVAULT_MASTER_KEY_FILE))
    provider = key_provider()
    assert provider.current_kek_id == kek_id_for(bytes.fromhex(value))


def test_retired_files_beside_the_master_key_join_the_ring(settings):
    current = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    old_plain = make_kek(current.with_name("master.key.retired"))
    old_labelled = make_kek(current.with_name("master.key.2026-11.retired"))
    make_kek(current)
    make_kek(current.with_name("other.key.retired"))  # not ours
    assert [p.name for p in retired_key_files(current)] == [
        "master.key.retired",
        "master.key.2026-11.retired",
    ]
    provider = FileKeyProvider.from_settings()
    assert provider.kek_ids[1:] == [
        kek_id_for(bytes.fromhex(old_plain)),
        kek_id_for(bytes.fromhex(old_labelled)),
    ]


def test_a_missing_master_key_says_to_run_init(settings):
    with pytest.raises(ImproperlyConfigured, match="classvault init"):
        key_provider()


@pytest.mark.parametrize("content", ["abc", "zz" * 32, "00" * 33])
def test_a_malformed_master_key_is_refused_without_showing_it(settings, content):
    path = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    write_secret_file(path, content)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        key_provider()
    assert content not in str(excinfo.value)


def test_no_secret_shows_in_repr_or_str(settings):
    value = make_kek(Path(settings.CLASSVAULT_MASTER_KEY_FILE))
    provider = key_provider()
    shown = repr(provider) + str(provider) + repr(vars(provider))
    assert value not in shown
    assert repr(bytes.fromhex(value)) not in shown
    assert provider.current_kek_id in repr(provider)
