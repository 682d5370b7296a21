"""The shape of a flow, as data: its name, the function that runs one record, which webhook events start it
(``route``) and how a sync run finds its records in a time window (``discover``). The table of flows is
``workers.flows.catalog``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workers.flows.context import FlowContext, TenantContext
from workers.flows.settings import FlowSettings

Routed = tuple[str, dict[str, Any]]
"""(source_ref, payload) for one record an event starts."""

Run = Callable[[FlowContext], Awaitable[None]]
Route = Callable[[str, dict[str, Any]], list[Routed]]
Discover = Callable[[TenantContext, datetime, datetime], AsyncIterator[Routed]]
"""Discovery has no record: a TenantContext gives it the tenant's APIs (at backfill priority) and settings."""


@dataclass(frozen=True)
class Estimated:
    """What a run over a window would take: the records it would find, the provider calls they need (by
    provider), and what was found in words."""

    sources: int
    calls: dict[str, int]
    detail: str


Estimate = Callable[[TenantContext, datetime, datetime], Awaitable[Estimated]]
Schedule = Callable[[FlowSettings], tuple[int, int]]
"""The tenant's polling of a flow: (seconds between runs, 0 for none; seconds each run reaches back)."""


@dataclass(frozen=True)
class FlowSpec:
    name: str
    run: Run
    route: Route | None = None
    """A provider's webhook body → the records it starts in this flow (pure; [] when not this flow's)."""
    discover: Discover | None = None
    """A sync run: every record this flow should hold for sources changed between the two instants."""
    estimate: Estimate | None = None
    """Before a run: how much ``discover`` would find in the window and what it would cost (a few reads)."""
    needs: tuple[str, ...] = ()
    """The providers a tenant must have connected for the flow to poll."""
    schedule: Schedule | None = None
    """Polled: a run of ``discover`` every so often over the window since the last one (``workers.schedule``)."""
