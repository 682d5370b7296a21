"""A provider create made at most once: claimed in the effect ledger, looked up when an earlier attempt's
answer was lost, released when the provider certainly refused it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from workers.calls import CallFailed
from workers.engine.effects import ClaimState
from workers.engine.outcomes import Outcome, Verdict
from workers.flows.context import FlowContext

Look = Callable[[], Awaitable[dict[str, Any] | None]]
Make = Callable[[], Awaitable[dict[str, Any]]]


def not_made(failed: CallFailed) -> bool:
    """Whether a failed create certainly did not take effect: the provider refused it (a 4xx, 429 included),
    or it was never sent (no budget). A 5xx or no answer may have been committed: the claim stays, and the
    next attempt looks the effect up before making it again."""
    if failed.verdict.outcome is Outcome.UNKNOWN:
        return False
    return failed.status is None or failed.status < 500


async def once(ctx: FlowContext, key: str, look: Look, make: Make) -> dict[str, Any]:
    """The result kept under ``key``: recorded by an earlier attempt, found by ``look`` (that attempt made it
    but its answer was lost), or made now by ``make``. Callers serialise attempts on one key (a record runs
    on one worker at a time; tracking holds its AWB's lock), so a claim still open here was left by a dead
    attempt."""
    claim = await ctx.claim(key)
    if claim.state is ClaimState.DONE:
        assert claim.result is not None
        return claim.result
    if claim.state is ClaimState.UNKNOWN:
        found = await look()
        if found is not None:
            await ctx.complete(key, found)
            return found
        await ctx.release(key)
        claim = await ctx.claim(key)
        if claim.state is not ClaimState.FRESH:
            raise CallFailed(Verdict(Outcome.RETRY, None, f"{key}: another attempt holds the claim"))
    try:
        made = await make()
    except CallFailed as failed:
        if not_made(failed):
            await ctx.release(key)
        raise
    await ctx.complete(key, made)
    return made
