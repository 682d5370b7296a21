"""Envelope encryption of tenants' secrets (AES-256-GCM from ``cryptography``).

    keyring  -- key-encryption keys (KEKs) from ``CONNECTORS_MASTER_KEYS``: ``kid:base64key,kid:base64key``;
                the first is active, the others still unwrap what they wrapped before a rotation
    data key -- one random 256-bit key per tenant, stored only wrapped by a KEK (``WrappedKey``);
                destroying it makes every secret of the tenant unreadable (crypto-shredding)
    secret   -- a field of a connection's credentials, sealed under the tenant's data key with associated
                data binding tenant, connection and field, so a ciphertext copied to another row fails

Errors: ``VaultError`` (base) → ``KeyringError`` (bad configuration), ``UnknownKey`` (a wrap from a KEK
no longer in the keyring), ``DecryptionFailed`` (tampered, copied or wrong-tenant ciphertext).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
FORMAT = b"\x01"


class VaultError(Exception):
    """Base of the vault's errors."""


class KeyringError(VaultError):
    """``CONNECTORS_MASTER_KEYS`` is missing or malformed."""


class UnknownKey(VaultError):
    """A data key was wrapped by a key-encryption key that is not in the keyring."""


class DecryptionFailed(VaultError):
    """The ciphertext does not belong here: tampered, copied from another row, or another tenant's."""


class Secret:
    """A plaintext secret that never shows itself in reprs, logs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    blob: bytes

    def __repr__(self) -> str:
        return f"WrappedKey(kek_id={self.kek_id!r}, blob=<{len(self.blob)} bytes>)"


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active_id: str

    @classmethod
    def parse(cls, spec: str | None) -> Keyring:
        if not spec or not spec.strip():
            raise KeyringError(
                "CONNECTORS_MASTER_KEYS is empty: set it to 'kid:base64-of-32-bytes[,older-kid:key...]' "
                "(generate one with 'connectors keys generate')"
            )
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for n, item in enumerate(spec.split(","), start=1):
            kid, sep, encoded = item.strip().partition(":")
            if not sep or not kid:
                raise KeyringError(f"CONNECTORS_MASTER_KEYS entry {n} is not 'kid:base64key'")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise KeyringError(f"CONNECTORS_MASTER_KEYS entry {n} ({kid}): key is not base64") from None
            if len(key) != 32:
                raise KeyringError(f"CONNECTORS_MASTER_KEYS entry {n} ({kid}): key has {len(key)} bytes, needs 32")
            if kid in keys:
                raise KeyringError(f"CONNECTORS_MASTER_KEYS names key id {kid!r} twice")
            keys[kid] = key
            order.append(kid)
        return cls(keys, order[0])

    def __repr__(self) -> str:
        return f"Keyring(active={self.active_id!r}, ids={list(self.keys)!r})"

    @staticmethod
    def generate_entry(kid: str) -> str:
        return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + NONCE + 16 or blob[:1] != FORMAT:
        raise DecryptionFailed("ciphertext is truncated or of an unknown format")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE], blob[1 + NONCE :], aad)
    except InvalidTag:
        raise DecryptionFailed("ciphertext does not decrypt here (tampered, or copied from elsewhere)") from None


def _key_aad(tenant_id: str) -> bytes:
    return f"connectors/data-key/v1|tenant={tenant_id}".encode()


def _secret_aad(tenant_id: str, connection_id: str, field: str) -> bytes:
    return f"connectors/secret/v1|tenant={tenant_id}|connection={connection_id}|field={field}".encode()


class Vault:
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def new_data_key(self, tenant_id: str) -> WrappedKey:
        return self.wrap(tenant_id, AESGCM.generate_key(bit_length=256))

    def wrap(self, tenant_id: str, data_key: bytes) -> WrappedKey:
        kek = self.keyring.keys[self.keyring.active_id]
        return WrappedKey(self.keyring.active_id, _seal(kek, data_key, _key_aad(tenant_id)))

    def unwrap(self, tenant_id: str, wrapped: WrappedKey) -> bytes:
        kek = self.keyring.keys.get(wrapped.kek_id)
        if kek is None:
            raise UnknownKey(f"data key of tenant {tenant_id} is wrapped by key {wrapped.kek_id!r}, not in the keyring")
        return _open(kek, wrapped.blob, _key_aad(tenant_id))

    def rewrap(self, tenant_id: str, wrapped: WrappedKey) -> WrappedKey:
        """The same data key wrapped by the active KEK (a no-op when it already is)."""
        if wrapped.kek_id == self.keyring.active_id:
            return wrapped
        return self.wrap(tenant_id, self.unwrap(tenant_id, wrapped))

    def encrypt(self, wrapped: WrappedKey, tenant_id: str, connection_id: str, field: str, secret: Secret) -> bytes:
        key = self.unwrap(tenant_id, wrapped)
        return _seal(key, secret.reveal().encode(), _secret_aad(tenant_id, connection_id, field))

    def decrypt(self, wrapped: WrappedKey, tenant_id: str, connection_id: str, field: str, blob: bytes) -> Secret:
        key = self.unwrap(tenant_id, wrapped)
        return Secret(_open(key, blob, _secret_aad(tenant_id, connection_id, field)).decode())
