"""Every flow the engine runs, described as data: its name, the function that runs one record, which webhook
events start it (``route``) and how a sync run finds its records in a time window (``discover``).

A flow module defines ``SPEC = FlowSpec(...)`` and is listed in ``SPECS``; the runner, the sync runs and the
gRPC services read this table and nothing else. A record's ``source_ref`` is ``"<links.Kind>:<ref>"`` (the
identity it starts from), so lineage links every target identity to it.
"""

from __future__ import annotations

from typing import Any

from workers.flows import fulfilment, remittance, returns, shipstation_books, tracking
from workers.flows.spec import FlowSpec

SPECS: tuple[FlowSpec, ...] = (fulfilment.SPEC, remittance.SPEC, tracking.SPEC, returns.SPEC, shipstation_books.SPEC)
FLOWS: dict[str, FlowSpec] = {spec.name: spec for spec in SPECS}


def route(provider: str, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (flow, source_ref, payload) a webhook event starts (pure); [] when no flow acts on it."""
    return [
        (spec.name, source, payload) for spec in SPECS if spec.route for source, payload in spec.route(provider, body)
    ]
