"""``connectors sync``: backfill a date window of one flow for one tenant, through the core's SyncService.

First the estimate (a worker asks the source how much changed in the window; the core says how long the
providers' rate limits make it at least), then the run, followed with a progress bar until every record it
started has finished; then its counts, and how to replay what failed.

    connectors sync --tenant evergreen --flow shipstation-books --from 2026-10-01 --to 2026-10-31

``--from``/``--to`` are ISO dates or date-times (UTC when they name no zone); a date ``--to`` means the end of
that day. ``--estimate-only`` stops after the estimate. The actor is ``cli:<user>`` (SYSTEM).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from connector.v1 import sync_pb2 as pb
from connector.v1 import sync_pb2_grpc
from connectors.replay import UsageError, actor, resolve_tenant
from connectors.settings import Settings

POLL = 0.5
DONE = {
    pb.RUN_STATE_COMPLETED: "completed",
    pb.RUN_STATE_COMPLETED_WITH_FAILURES: "completed with failures",
    pb.RUN_STATE_FAILED: "failed",
}


def parse_bound(text: str, option: str, *, end: bool) -> datetime:
    """An ISO date (the start of that day, or for ``--to`` its end) or date-time; UTC when no zone is named."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: give an ISO date or date-time (2026-10-01, 2026-10-01T08:00-07:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe_estimate(estimate: pb.EstimateRunResponse) -> list[str]:
    lines = [f"found {estimate.detail} ({estimate.sources:,} records)"]
    for share in estimate.calls:
        limit = f"{share.limit} per {minutes(share.period.seconds)}" if share.limit else "no limit"
        lines.append(
            f"  {share.provider}: about {share.calls:,} calls ({limit}: at least {minutes(share.at_least.seconds)})"
        )
    lines.append(f"the run takes at least {minutes(estimate.at_least.seconds)}")
    return lines


def describe_run(run: pb.SyncRun) -> str:
    words = DONE.get(run.state, pb.RunState.Name(run.state))
    counts = f"{run.succeeded} succeeded, {run.failed} failed, {run.skipped} skipped of {run.received} received"
    line = f"run {run.run_id} {words} in {minutes(run.duration.seconds)}: {counts}"
    return f"{line}; {run.error}" if run.error else line


async def follow(stub: Any, tenant_id: str, run: pb.SyncRun, console: Console) -> pb.SyncRun:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("discovering", total=None)
        while run.state not in DONE:
            await asyncio.sleep(POLL)
            run = (await stub.GetRun(pb.GetRunRequest(tenant_id=tenant_id, run_id=run.run_id))).run
            if run.state in (pb.RUN_STATE_QUEUED, pb.RUN_STATE_DISCOVERING):
                progress.update(task, description=f"discovering ({run.received:,} found)")
                continue
            finished = run.succeeded + run.failed + run.skipped
            description = f"{run.succeeded:,} ok, {run.failed:,} failed, {run.skipped:,} skipped"
            progress.update(task, description=description, total=max(run.received, 1), completed=finished)
    return run


async def run(settings: Settings, args: Any, console: Console) -> int:
    from connectors.core_client import CoreClient

    start = parse_bound(args.start, "--from", end=False)
    end = parse_bound(args.end, "--to", end=True) if args.end else datetime.now(UTC)
    if end <= start:
        raise UsageError(f"--to ({end.isoformat()}) is not after --from ({start.isoformat()})")
    client = CoreClient(settings)
    try:
        tenant_id = await resolve_tenant(client, args.tenant)
        stub = client.stub(sync_pb2_grpc.SyncServiceStub)
        window = {"tenant_id": tenant_id, "flow": args.flow, "window_start": stamp(start), "window_end": stamp(end)}
        console.print(f"estimating {args.flow} from {start.isoformat()} to {end.isoformat()}…", markup=False)
        estimate = await stub.EstimateRun(pb.EstimateRunRequest(**window), timeout=60.0)
        for line in describe_estimate(estimate):
            console.print(line, markup=False)
        if args.estimate_only:
            return 0
        started = (await stub.TriggerRun(pb.TriggerRunRequest(**window, actor=actor()))).run
        console.print(f"run {started.run_id} started", markup=False)
        finished = await follow(stub, tenant_id, started, console)
    finally:
        await client.close()
    console.print(describe_run(finished), markup=False)
    if finished.failed:
        console.print(f"replay the failures: connectors replay --tenant {args.tenant} --flow {args.flow}", markup=False)
    return 0 if finished.state == pb.RUN_STATE_COMPLETED else 1


def sync_command(settings: Settings, args: Any) -> int:
    console = Console(highlight=False, soft_wrap=True)
    try:
        return asyncio.run(run(settings, args, console))
    except UsageError as exc:
        print(f"connectors sync: {exc}", file=sys.stderr)
        return 2
    except grpc.aio.AioRpcError as exc:
        print(f"connectors sync: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
