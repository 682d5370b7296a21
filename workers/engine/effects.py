"""The effect ledger: a non-idempotent provider call (create a Shiprocket order, post a Books payment) is
claimed, in its own committed transaction, before it is made.

    claim()     → FRESH: make the call; DONE: it was made, here is its result; UNKNOWN: an earlier attempt
                  claimed it and never finished — look the effect up at the provider before calling again
    complete()  the call succeeded: keep its result (the ids it created)
    release()   the call certainly did not take effect (refused, or a look-up found nothing): may be retried
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.db import tenant_session
from tenants.models import Effect


class ClaimState(StrEnum):
    FRESH = "fresh"
    DONE = "done"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    result: dict[str, Any] | None = None


class Ledger:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def claim(self, tenant_id: uuid.UUID, record_id: uuid.UUID, key: str) -> Claim:
        async with tenant_session(self.sessions, tenant_id) as session:
            inserted = (
                await session.execute(
                    insert(Effect)
                    .values(tenant_id=tenant_id, effect_key=key, record_id=record_id, state="claimed")
                    .on_conflict_do_nothing()
                    .returning(Effect.effect_key)
                )
            ).scalar_one_or_none()
            if inserted is not None:
                return Claim(ClaimState.FRESH)
            row = (await session.execute(select(Effect).where(Effect.effect_key == key))).scalar_one()
            if row.state == "done":
                return Claim(ClaimState.DONE, row.result)
            return Claim(ClaimState.UNKNOWN)

    async def complete(self, tenant_id: uuid.UUID, key: str, result: dict[str, Any]) -> None:
        async with tenant_session(self.sessions, tenant_id) as session:
            await session.execute(
                update(Effect)
                .where(Effect.effect_key == key)
                .values(state="done", result=result, done_at=datetime.now(UTC))
            )

    async def release(self, tenant_id: uuid.UUID, key: str) -> None:
        async with tenant_session(self.sessions, tenant_id) as session:
            await session.execute(delete(Effect).where(Effect.effect_key == key, Effect.state != "done"))
