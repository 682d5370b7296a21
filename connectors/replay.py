"""``connectors replay``: send a tenant's dead-lettered records round again, through the core's RecordService.

Lists the tenant's dead records (optionally of one flow, created since a moment), replays them in batches
with a progress bar and prints what happened to each: replayed, or refused and why. ``--dry-run`` asks a
worker what each record's next attempt would send and changes nothing. The actor is ``cli:<user>`` (SYSTEM).
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connector.v1 import record_pb2 as pb
from connector.v1 import record_pb2_grpc, tenant_pb2, tenant_pb2_grpc
from connectors.settings import Settings

DEFAULT_REASON = "replayed from the CLI"
BATCH = 50
DRY_BATCH = 10  # each dry-run batch waits for workers to work the previews out
DRY_TIMEOUT = 60.0
AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
OUTCOMES = {
    pb.PREVIEW_OUTCOME_WOULD_SEND: "would send",
    pb.PREVIEW_OUTCOME_WOULD_FINISH: "would finish",
    pb.PREVIEW_OUTCOME_WOULD_FAIL: "would fail",
}


class UsageError(Exception):
    """Bad input on the command line: the message says what and how to fix it."""


def parse_since(text: str, now: datetime) -> datetime:
    """``2h``, ``3d``, ``90m``, ``1w`` before ``now``, or an ISO date or date-time (UTC when it names no zone)."""
    age = AGE.match(text)
    if age:
        return now - timedelta(**{UNITS[age.group(2)]: int(age.group(1))})
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give an age (30m, 2h, 3d, 1w) or an ISO date or time "
            "(2026-11-20, 2026-11-20T10:00+05:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def actor() -> pb.Actor:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return pb.Actor(id=f"cli:{user}", role=pb.ACTOR_ROLE_SYSTEM)


def short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_preview(preview: pb.Preview) -> str:
    """One line: the outcome, then method, provider and path of what would be sent, and a short body."""
    words = OUTCOMES.get(preview.outcome, "no answer")
    if preview.HasField("would_send") and preview.would_send.method:
        sends = preview.would_send
        line = f"{words}: {sends.method} {sends.provider} {sends.path}"
        return f"{line} {short(sends.body)}" if sends.body else line
    return f"{words}: {preview.message}" if preview.message else words


@dataclass
class Outcome:
    """What a replay did, record by record."""

    accepted: list[tuple[pb.Record, pb.ReplayResult]] = field(default_factory=list)
    refused: list[tuple[pb.Record, str]] = field(default_factory=list)

    def report(self, console: Console, dry_run: bool) -> None:
        verb = "would be replayed" if dry_run else "replayed"
        console.print(f"{len(self.accepted)} record(s) {verb}, {len(self.refused)} refused")
        if dry_run:
            for record, result in self.accepted:
                line = f"  {record.source_ref}  [{record.flow}/{record.step}]  {describe_preview(result.preview)}"
                console.print(line, markup=False)
        for record, why in self.refused:
            console.print(f"  refused {record.source_ref} ({record.record_id}): {why}", markup=False)


async def resolve_tenant(client: Any, given: str) -> str:
    """A tenant id (checked to exist) or slug → the tenant id; UsageError when there is none."""
    stub = client.stub(tenant_pb2_grpc.TenantServiceStub)
    try:
        uuid.UUID(given)
    except ValueError:
        token = ""
        while True:
            page = await stub.ListTenants(tenant_pb2.ListTenantsRequest(query=given, page_size=200, page_token=token))
            for tenant in page.tenants:
                if tenant.slug == given:
                    return str(tenant.tenant_id)
            token = page.next_page_token
            if not token:
                raise UsageError(f"--tenant {given!r}: no tenant has this id or slug") from None
    try:
        return str((await stub.GetTenant(tenant_pb2.GetTenantRequest(tenant_id=given))).tenant.tenant_id)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            raise UsageError(f"--tenant {given!r}: no tenant has this id or slug") from None
        raise


async def dead_records(
    client: Any, tenant_id: str, flow: str | None, since: datetime | None, who: pb.Actor
) -> list[pb.Record]:
    stub = client.stub(record_pb2_grpc.RecordServiceStub)
    wanted = pb.RecordFilter(state=pb.RECORD_STATE_DEAD, flow=flow or "")
    if since:
        stamp = Timestamp()
        stamp.FromDatetime(since)
        wanted.created_after.CopyFrom(stamp)
    found: list[pb.Record] = []
    token = ""
    while True:
        page = await stub.ListRecords(
            pb.ListRecordsRequest(tenant_id=tenant_id, filter=wanted, page_size=200, page_token=token, actor=who)
        )
        found += page.records
        token = page.next_page_token
        if not token:
            return found


async def replay(
    client: Any, tenant_id: str, found: list[pb.Record], reason: str, dry_run: bool, who: pb.Actor, console: Console
) -> Outcome:
    stub = client.stub(record_pb2_grpc.RecordServiceStub)
    by_id = {r.record_id: r for r in found}
    outcome = Outcome()
    size = DRY_BATCH if dry_run else BATCH
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("previewing" if dry_run else "replaying", total=len(found))
        for start in range(0, len(found), size):
            batch = found[start : start + size]
            request = pb.ReplayRecordsRequest(
                tenant_id=tenant_id,
                record_ids=[r.record_id for r in batch],
                dry_run=dry_run,
                actor=who,
                reason=reason,
            )
            answer = await stub.ReplayRecords(request, timeout=DRY_TIMEOUT if dry_run else 30.0)
            for result in answer.results:
                record = by_id[result.record_id]
                if result.accepted:
                    outcome.accepted.append((record, result))
                else:
                    outcome.refused.append((record, result.refusal))
            progress.advance(task, len(batch))
    return outcome


async def run(
    settings: Settings, tenant: str, flow: str | None, since: str | None, reason: str, dry_run: bool, console: Console
) -> int:
    from connectors.core_client import CoreClient

    after = parse_since(since, datetime.now(UTC)) if since else None
    who = actor()
    client = CoreClient(settings)
    try:
        tenant_id = await resolve_tenant(client, tenant)
        found = await dead_records(client, tenant_id, flow, after, who)
        scope = f"{flow} " if flow else ""
        if not found:
            since_words = f" since {after.isoformat()}" if after else ""
            console.print(f"no dead {scope}records to replay{since_words}", markup=False)
            return 0
        console.print(f"{len(found)} dead {scope}record(s) of tenant {tenant_id}", markup=False)
        outcome = await replay(client, tenant_id, found, reason, dry_run, who, console)
    finally:
        await client.close()
    outcome.report(console, dry_run)
    return 1 if outcome.refused else 0


def replay_command(
    settings: Settings, tenant: str, flow: str | None, since: str | None, reason: str | None, dry_run: bool
) -> int:
    console = Console(highlight=False, soft_wrap=True)
    try:
        return asyncio.run(run(settings, tenant, flow, since, (reason or DEFAULT_REASON), dry_run, console))
    except UsageError as exc:
        print(f"connectors replay: {exc}", file=sys.stderr)
        return 2
    except grpc.aio.AioRpcError as exc:
        print(f"connectors replay: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
