"""The effect ledger: a non-idempotent provider call (create a Shiprocket order, post a Books payment) is
claimed, in its own committed transaction, before it is made.

    claim()     → FRESH: make the call; DONE: it was made, here is its result; UNKNOWN: an earlier attempt
                  claimed it and never finished — look the effect up at the provider before calling again
    complete()  the call succeeded: keep its result (the ids it created)
    release()   the call certainly did not take effect (refused, or a look-up found nothing): may be retried
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workers.engine.pg import tenant_tx


class ClaimState(StrEnum):
    FRESH = "fresh"
    DONE = "done"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    result: dict[str, Any] | None = None


CLAIM = (
    "INSERT INTO effects (tenant_id, effect_key, record_id, state) VALUES ($1, $2, $3, 'claimed')"
    " ON CONFLICT DO NOTHING RETURNING effect_key"
)
HELD = "SELECT state, result FROM effects WHERE effect_key = $1"
COMPLETE = "UPDATE effects SET state = 'done', result = $2, done_at = now() WHERE effect_key = $1"
RELEASE = "DELETE FROM effects WHERE effect_key = $1 AND state <> 'done'"


class Ledger:
    """The ledger's three moves, each a transaction of its own (straight on asyncpg: one is on every effect)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def claim(self, tenant_id: uuid.UUID, record_id: uuid.UUID, key: str) -> Claim:
        async with tenant_tx(self.sessions, tenant_id) as db:
            return await claim_in(db, tenant_id, record_id, key)

    async def complete(self, tenant_id: uuid.UUID, key: str, result: dict[str, Any]) -> None:
        async with tenant_tx(self.sessions, tenant_id) as db:
            await complete_in(db, key, result)

    async def release(self, tenant_id: uuid.UUID, key: str) -> None:
        async with tenant_tx(self.sessions, tenant_id) as db:
            await db.execute(RELEASE, key)


async def claim_in(db: Any, tenant_id: uuid.UUID, record_id: uuid.UUID, key: str) -> Claim:
    """``Ledger.claim`` in a transaction the caller holds (``pg.tenant_tx``): with the step before the call."""
    if await db.fetchval(CLAIM, tenant_id, key, record_id) is not None:
        return Claim(ClaimState.FRESH)
    row = await db.fetchrow(HELD, key)
    if row is None:  # the holder released it between our insert and this read: claimed by nobody now
        raise LookupError(f"effect {key} was released while being claimed")
    if row["state"] == "done":
        return Claim(ClaimState.DONE, row["result"])
    return Claim(ClaimState.UNKNOWN)


async def complete_in(db: Any, key: str, result: dict[str, Any]) -> None:
    """``Ledger.complete`` in a transaction the caller holds (``pg.tenant_tx``): with the step that made it."""
    await db.execute(COMPLETE, key, json.dumps(result))
