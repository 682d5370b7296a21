"""Key rotation keeps every connection working; a deleted tenant's secrets are unreadable; tampering fails."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import grpc
import pytest
from sqlalchemy import text

from connector.v1 import tenant_pb2, tenant_pb2_grpc, token_pb2, token_pb2_grpc
from connectors.settings import Settings
from core.connections import Connections
from core.keys import rotate
from core.tenancy import Tenants
from core.vault import DecryptionFailed, Keyring, Vault
from tenants.db import make_app_engine, make_engine, make_sessions
from tests.core.conftest import CoreHandle
from tests.core.test_connections import connect, new_tenant


async def test_rotation_rewraps_every_data_key_and_connections_keep_working(
    core: CoreHandle, sandboxes: Any, database_url: str
) -> None:
    info = sandboxes.fresh("shipstation")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "shipstation", info)
    old = core.settings.master_keys
    new_entry = Keyring.generate_entry(f"k{uuid.uuid4().hex[:6]}")
    # Every replica first learns the new key (first, so active) while keeping the old one...
    rotated_vault = Vault(Keyring.parse(f"{new_entry},{old}"))
    core.core.tokens.connections.vault.keyring = rotated_vault.keyring
    core.settings = dataclasses.replace(core.settings, master_keys=f"{new_entry},{old}")
    owner = make_engine(Settings(database_url=database_url))
    result = await rotate(owner, rotated_vault)
    assert result.rewrapped >= 1
    async with owner.connect() as conn:
        kids = set((await conn.execute(text("SELECT DISTINCT kek_id FROM tenant_keys"))).scalars())
    await owner.dispose()
    assert kids == {rotated_vault.keyring.active_id}
    # ...and once rotated, the old key can go: a core with only the new key still reads every secret.
    only_new = Vault(Keyring.parse(new_entry))
    app = make_app_engine(Settings(database_url=database_url))
    sessions = make_sessions(app)
    connections = Connections(sessions, only_new, Tenants(sessions, only_new), core.settings)
    _, secrets = await connections.secrets(uuid.UUID(tenant), uuid.UUID(connection.connection_id))
    await app.dispose()
    assert secrets["api_secret"].reveal() == info["demo"]["api_secret"]
    # The running core (old + new key listed) keeps serving throughout.
    served = await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    assert served.header_value.startswith("Basic ")


async def test_a_swapped_ciphertext_fails_to_decrypt(core: CoreHandle, sandboxes: Any, database_url: str) -> None:
    info = sandboxes.fresh("shiprocket")
    tenant = await new_tenant(core)
    first = await connect(core, tenant, "shiprocket", info)
    second = await connect(core, tenant, "shiprocket", info)
    owner = make_engine(Settings(database_url=database_url))
    async with owner.begin() as conn:
        await conn.execute(
            text(
                "UPDATE connection_secrets SET ciphertext = (SELECT ciphertext FROM connection_secrets "
                "WHERE connection_id = :src AND field = 'password') WHERE connection_id = :dst AND field = 'password'"
            ),
            {"src": uuid.UUID(first.connection_id), "dst": uuid.UUID(second.connection_id)},
        )
    await owner.dispose()
    vault = Vault(Keyring.parse(core.settings.master_keys))
    app = make_app_engine(Settings(database_url=database_url))
    sessions = make_sessions(app)
    connections = Connections(sessions, vault, Tenants(sessions, vault), core.settings)
    with pytest.raises(DecryptionFailed):
        await connections.secrets(uuid.UUID(tenant), uuid.UUID(second.connection_id))
    await app.dispose()


async def test_a_deleted_tenants_secrets_are_unreadable(core: CoreHandle, sandboxes: Any, database_url: str) -> None:
    info = sandboxes.fresh("shipstation")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "shipstation", info)
    await core.stub(tenant_pb2_grpc.TenantServiceStub).DeleteTenant(tenant_pb2.DeleteTenantRequest(tenant_id=tenant))
    owner = make_engine(Settings(database_url=database_url))
    async with owner.connect() as conn:
        keys = (
            await conn.execute(text("SELECT count(*) FROM tenant_keys WHERE tenant_id = :t"), {"t": tenant})
        ).scalar()
        secrets = (
            await conn.execute(
                text("SELECT count(*) FROM connection_secrets WHERE connection_id = :c"),
                {"c": connection.connection_id},
            )
        ).scalar()
    await owner.dispose()
    assert keys == 0 and secrets == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
            token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
