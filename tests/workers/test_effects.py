"""The effect ledger on the real PostgreSQL: a call is claimed once, its result reused, unknowns surfaced."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from connectors.settings import Settings
from tenants.db import make_app_engine, make_engine, make_sessions
from workers.engine.effects import ClaimState, Ledger


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[tuple[Ledger, uuid.UUID]]:
    settings = Settings(database_url=database_url)
    owner, app = make_engine(settings), make_app_engine(settings)
    tenant = uuid.uuid4()
    async with owner.begin() as conn:
        await conn.execute(
            text("INSERT INTO tenants (id, slug, name) VALUES (:id, :s, :s)"),
            {"id": tenant, "s": f"e-{tenant.hex[:8]}"},
        )
    yield Ledger(make_sessions(app)), tenant
    await owner.dispose()
    await app.dispose()


async def test_many_workers_claiming_one_effect_get_one_fresh_claim(ledger: tuple[Ledger, uuid.UUID]) -> None:
    effects, tenant = ledger
    record = uuid.uuid4()
    claims = await asyncio.gather(*(effects.claim(tenant, record, "shiprocket:create:SO-1") for _ in range(20)))
    assert sum(c.state is ClaimState.FRESH for c in claims) == 1
    assert all(c.state is ClaimState.UNKNOWN for c in claims if c.state is not ClaimState.FRESH)


async def test_a_completed_effect_hands_back_its_result_instead_of_a_second_call(
    ledger: tuple[Ledger, uuid.UUID],
) -> None:
    effects, tenant = ledger
    record = uuid.uuid4()
    assert (await effects.claim(tenant, record, "books:payment:CRF-9")).state is ClaimState.FRESH
    await effects.complete(tenant, "books:payment:CRF-9", {"payment_id": "4815000000044895"})
    again = await effects.claim(tenant, record, "books:payment:CRF-9")
    assert again.state is ClaimState.DONE and again.result == {"payment_id": "4815000000044895"}
    await effects.release(tenant, "books:payment:CRF-9")  # a done effect is never released
    assert (await effects.claim(tenant, record, "books:payment:CRF-9")).state is ClaimState.DONE


async def test_a_released_effect_can_be_claimed_afresh(ledger: tuple[Ledger, uuid.UUID]) -> None:
    effects, tenant = ledger
    record = uuid.uuid4()
    await effects.claim(tenant, record, "shiprocket:awb:1515")
    assert (await effects.claim(tenant, record, "shiprocket:awb:1515")).state is ClaimState.UNKNOWN
    await effects.release(tenant, "shiprocket:awb:1515")
    assert (await effects.claim(tenant, record, "shiprocket:awb:1515")).state is ClaimState.FRESH
