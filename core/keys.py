"""``connectors keys rotate``: re-wrap every tenant's data key under the active key-encryption key.

Run it after every core replica already has the new key first in CONNECTORS_MASTER_KEYS (with the old
one still listed): each row is re-wrapped in its own short transaction, so the core keeps serving and
reads whichever wrap a row has. Once it reports nothing left under the old key, drop that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.vault import Vault, WrappedKey
from tenants.models import TenantKey


@dataclass(frozen=True)
class Rotation:
    rewrapped: int
    already_current: int


async def rotate(engine: AsyncEngine, vault: Vault) -> Rotation:
    """Uses the owner's engine: key rotation is maintenance across all tenants."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(TenantKey.tenant_id, TenantKey.kek_id, TenantKey.wrapped))).all()
    rewrapped = current = 0
    for tenant_id, kek_id, wrapped in rows:
        if kek_id == vault.keyring.active_id:
            current += 1
            continue
        fresh = vault.rewrap(str(tenant_id), WrappedKey(kek_id, wrapped))
        async with engine.begin() as conn:
            await conn.execute(
                update(TenantKey)
                .where(TenantKey.tenant_id == tenant_id, TenantKey.kek_id == kek_id)
                .values(kek_id=fresh.kek_id, wrapped=fresh.blob)
            )
        rewrapped += 1
    return Rotation(rewrapped, current)
