"""The effect ledger on the real PostgreSQL: a call is claimed once, its result reused, unknowns surfaced."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import Database
from workers.engine.effects import ClaimState, Ledger


@pytest.fixture
async def ledger(db: Database) -> tuple[Ledger, uuid.UUID]:
    return Ledger(db.sessions), await db.new_tenant()


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
