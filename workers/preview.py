"""A dry run of a record's next attempt (``preview_record``): the flow runs from the record's step through a
``DryFlowContext`` — provider reads really made, writes captured and not sent, nothing written anywhere — and
the answer says what it read, the first thing it would send, and how the attempt would end:

    would_send     it would change something at a provider (``would_send`` is the first such call)
    would_finish   it would end (done, or skipped) without sending anything
    would_fail     it would stop: a refusal with its reason (serviceability failed, unmapped SKU...), an error

A write whose answer the flow ignores (a status written back before a refusal) does not end the dry run;
one whose answer it needs (the id of the order it creates) does.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from tenants.db import tenant_session
from tenants.models import Record
from workers.calls import CallFailed, DryRun, WouldSend
from workers.flows import catalog
from workers.flows.context import DryFlowContext, Services, Skipped, flow_settings
from workers.flows.settings import SettingInvalid

log = structlog.get_logger("workers.preview")


def answer(
    record_id: str, flow: str, step: str, dry: DryRun, outcome: str, message: str, reason: str | None = None
) -> dict[str, Any]:
    """The preview as the job returns it: JSON-safe (amounts as ``wire_json`` sends them)."""
    return {
        "record_id": record_id,
        "flow": flow,
        "step": step,
        "reads": [call.brief() for call in dry.reads],
        "would_send": dry.writes[0].as_dict() if dry.writes else None,
        "outcome": outcome,
        "message": message,
        "reason": reason,
    }


def sending(context: DryFlowContext, ending: str) -> str:
    """What the attempt would send and how it would go on, in words (pure)."""
    first = context.dry_run.writes[0]
    words = f"would send {first.method} {first.path} to {first.provider}"
    if context.steps:
        words = f"would pass {', '.join(context.steps)}, then " + words
    later = len(context.dry_run.writes) - 1
    return words + (f" (and {later} more)" if later else "") + f"; {ending}"


def on_the_way(context: DryFlowContext) -> str:
    """What a failing attempt would still have done before it stopped, in words (pure)."""
    done = [f"send {w.method} {w.path} to {w.provider}" for w in context.dry_run.writes]
    done += [f"raise the alert {alert}" for alert in context.alerts]
    return f" (on the way it would {'; '.join(done)})" if done else ""


async def preview_record(ctx: dict[str, Any], tenant_id: str, record_id: str) -> dict[str, Any]:
    services: Services = ctx["services"]
    tenant = uuid.UUID(tenant_id)
    async with tenant_session(services.sessions, tenant) as session:
        record = await session.get(Record, uuid.UUID(record_id))
    if record is None:
        return answer(record_id, "", "", DryRun(), "would_fail", f"there is no record {record_id}")
    flow, step = record.flow, record.step
    spec = catalog.FLOWS.get(flow)
    if spec is None:
        return answer(record_id, flow, step, DryRun(), "would_fail", f"there is no flow named {flow!r}")
    try:
        settings = await flow_settings(services, tenant)
    except SettingInvalid as exc:
        return answer(record_id, flow, step, DryRun(), "would_fail", f"settings: {exc}", "invalid_source_data")
    source = (record.payload or {}).get("connection_id")
    context = DryFlowContext(services, record, settings, uuid.UUID(source) if source else None)
    dry = context.dry_run
    try:
        await spec.run(context)
    except WouldSend as stop:
        first = dry.writes[0] if dry.writes else None
        ending = (
            "the rest of the attempt waits for its answer"
            if first is not None and (first.method, first.path) == (stop.call.method, stop.call.path)
            else f"it needs the answer to {stop}"
        )
        return answer(record_id, flow, step, dry, "would_send", sending(context, ending))
    except Skipped as skipped:
        ending = f"the record would be skipped: {skipped}"
        if dry.writes:
            return answer(record_id, flow, step, dry, "would_send", sending(context, ending))
        return answer(record_id, flow, step, dry, "would_finish", ending)
    except CallFailed as failed:
        verdict = failed.verdict
        reason = str(verdict.reason) if verdict.reason else None
        message = f"{reason or verdict.outcome}: {verdict.message}" + on_the_way(context)
        return answer(record_id, flow, step, dry, "would_fail", message, reason)
    except Exception as exc:  # a defect or an unexpected answer: the real attempt would crash the same way
        log.exception("dry run crashed", record=record_id)
        return answer(record_id, flow, step, dry, "would_fail", f"{type(exc).__name__}: {exc}")
    if dry.writes:
        return answer(record_id, flow, step, dry, "would_send", sending(context, "then the record would succeed"))
    return answer(record_id, flow, step, dry, "would_finish", "the record would succeed without sending anything")
