"""Envelope encryption: data keys per tenant, secrets bound to tenant, connection and field, key rotation."""

from __future__ import annotations

import pytest

from core.vault import DecryptionFailed, Keyring, KeyringError, Secret, UnknownKey, Vault


@pytest.fixture
def vault() -> Vault:
    return Vault(Keyring.parse(Keyring.generate_entry("k1")))


def test_a_secret_round_trips_under_its_tenant_connection_and_field(vault: Vault) -> None:
    key = vault.new_data_key("t1")
    blob = vault.encrypt(key, "t1", "c1", "password", Secret("hunter2"))
    assert b"hunter2" not in blob
    assert vault.decrypt(key, "t1", "c1", "password", blob).reveal() == "hunter2"


@pytest.mark.parametrize(
    ("tenant", "connection", "field"),
    [("t2", "c1", "password"), ("t1", "c2", "password"), ("t1", "c1", "api_secret")],
)
def test_a_ciphertext_copied_to_another_row_does_not_decrypt(
    vault: Vault, tenant: str, connection: str, field: str
) -> None:
    key = vault.new_data_key("t1")
    blob = vault.encrypt(key, "t1", "c1", "password", Secret("hunter2"))
    with pytest.raises(DecryptionFailed):
        vault.decrypt(key, tenant, connection, field, blob)


def test_another_tenants_data_key_cannot_be_used(vault: Vault) -> None:
    key_t1 = vault.new_data_key("t1")
    with pytest.raises(DecryptionFailed):
        vault.unwrap("t2", key_t1)


def test_tampering_is_detected(vault: Vault) -> None:
    key = vault.new_data_key("t1")
    blob = bytearray(vault.encrypt(key, "t1", "c1", "password", Secret("hunter2")))
    blob[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        vault.decrypt(key, "t1", "c1", "password", bytes(blob))


def test_rotation_rewraps_data_keys_so_the_old_kek_can_be_retired() -> None:
    old_entry = Keyring.generate_entry("k1")
    old = Vault(Keyring.parse(old_entry))
    key = old.new_data_key("t1")
    blob = old.encrypt(key, "t1", "c1", "token", Secret("s3cret"))
    rotated = Vault(Keyring.parse(Keyring.generate_entry("k2") + "," + old_entry))
    rewrapped = rotated.rewrap("t1", key)
    assert rewrapped.kek_id == "k2"
    retired = Vault(Keyring.parse(_only(rotated, "k2")))
    assert retired.decrypt(rewrapped, "t1", "c1", "token", blob).reveal() == "s3cret"
    with pytest.raises(UnknownKey, match="'k1'"):
        retired.unwrap("t1", key)


def _only(vault: Vault, kid: str) -> str:
    import base64

    return f"{kid}:{base64.b64encode(vault.keyring.keys[kid]).decode()}"


def test_secrets_and_keys_never_show_in_reprs(vault: Vault) -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and "hunter2" not in f"{secret}"
    assert "k1" in repr(vault.keyring) and "=" not in repr(vault.keyring).split("ids=")[1]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "is empty"),
        ("nokey", "is not 'kid:base64key'"),
        ("k1:!!!", "not base64"),
        ("k1:AAAA", "has 3 bytes, needs 32"),
    ],
)
def test_a_bad_keyring_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        Keyring.parse(spec)
