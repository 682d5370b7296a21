"""``connectors replay`` as a user runs it: a subprocess talking to the real core over gRPC, records in
PostgreSQL, the dry run answered by a real arq worker."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.worker import Worker

from connector.v1 import record_pb2 as pb
from connectors.replay import UsageError, describe_preview, parse_since
from tenants.db import tenant_session
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.core.test_record_service import (  # noqa: F401  (fixtures: own_core, own_worker, loop, queue)
    HAS_PREVIEW,
    audit_rows,
    loop,
    make_record,
    own_core_fixture,
    own_worker_fixture,
    queue_fixture,
    record_row,
)
from tests.workers.conftest import Loop
from workers.engine import journal
from workers.engine.outcomes import Reason

ROOT = Path(__file__).resolve().parent.parent
USER = getpass.getuser()


async def connectors(core: CoreHandle, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run the command in a child process while this loop keeps serving the core."""
    env = {
        **os.environ,
        "CONNECTORS_CORE_ADDR": f"127.0.0.1:{core.core.port}",
        "CONNECTORS_SERVICE_TOKENS": core.settings.service_tokens,
        "CONNECTORS_RUN_DIR": str(tmp_path),  # no developer's dev.env
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "connectors.cli",
        "replay",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 90)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


def test_since_takes_ages_dates_and_times() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("3d", now) == now - timedelta(days=3)
    assert parse_since("45m", now) == now - timedelta(minutes=45)
    assert parse_since("2026-11-20", now) == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_since("2026-11-20T10:00", now) == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert parse_since("2026-11-20T10:00+05:30", now) == datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
    for bad in ("yesterday", "2x", "-3d", "2026-13-01"):
        with pytest.raises(UsageError, match="--since"):
            parse_since(bad, now)


def test_a_preview_reads_as_one_line() -> None:
    sends = pb.ProviderCall(
        provider="shiprocket", method="POST", path="/orders/create/adhoc", body='{"a": ' + "1" * 200
    )
    line = describe_preview(pb.Preview(outcome=pb.PREVIEW_OUTCOME_WOULD_SEND, would_send=sends))
    assert line.startswith('would send: POST shiprocket /orders/create/adhoc {"a": 111') and len(line) < 160
    failing = pb.Preview(outcome=pb.PREVIEW_OUTCOME_WOULD_FAIL, message="no courier serves 799001")
    assert describe_preview(failing) == "would fail: no courier serves 799001"


async def test_replay_by_slug_replays_the_flows_dead_records_and_says_what_it_did(
    core: CoreHandle, db: Database, tmp_path: Path, queue: Any
) -> None:
    tenant = await db.new_tenant()
    dead = [await make_record(db, tenant, f"zoho_salesorder:31{i}", dead=Reason.UNMAPPED_SKU) for i in range(2)]
    tracking = await make_record(db, tenant, "awb:AWB31", flow="tracking", dead=Reason.UNMAPPED_SKU)
    done = await make_record(db, tenant, "zoho_salesorder:319", state="succeeded")
    code, out, err = await connectors(
        core, tmp_path, "--tenant", f"t-{tenant.hex[:12]}", "--flow", "fulfilment", "--reason", "SKUs mapped"
    )
    assert code == 0, out + err
    assert "2 dead fulfilment record(s)" in out and "2 record(s) replayed, 0 refused" in out
    assert [(await record_row(db, tenant, r)).state for r in [*dead, tracking, done]] == [
        "pending",
        "pending",
        "dead",
        "succeeded",
    ]
    async with tenant_session(db.sessions, tenant) as session:
        last = (await journal.events(session, dead[0]))[-1]
    assert last.kind == "replayed" and last.data["by"] == f"system:cli:{USER}" and last.data["reason"] == "SKUs mapped"
    rows = await audit_rows(db, tenant)
    assert {(r.actor_id, r.actor_role, r.action, r.target, r.reason) for r in rows} == {
        (f"cli:{USER}", "system", "record.replay", str(r), "SKUs mapped") for r in dead
    }


async def test_replay_by_tenant_id_and_since_with_the_default_reason(
    core: CoreHandle, db: Database, tmp_path: Path, queue: Any
) -> None:
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:320", dead=Reason.NEEDS_REAUTH)
    code, out, _ = await connectors(core, tmp_path, "--tenant", str(tenant), "--since", "2099-01-01")
    assert code == 0 and "no dead records to replay since 2099-01-01" in out
    assert (await record_row(db, tenant, rid)).state == "dead"
    code, out, err = await connectors(core, tmp_path, "--tenant", str(tenant), "--since", "1h")
    assert code == 0, out + err
    assert "1 record(s) replayed" in out and (await record_row(db, tenant, rid)).state == "pending"
    assert [r.reason for r in await audit_rows(db, tenant)] == ["replayed from the CLI"]


async def test_bad_input_is_named_and_changes_nothing(core: CoreHandle, db: Database, tmp_path: Path) -> None:
    tenant = await db.new_tenant()
    rid = await make_record(db, tenant, "zoho_salesorder:330", dead=Reason.NEEDS_REAUTH)
    code, _, err = await connectors(core, tmp_path, "--tenant", str(tenant), "--since", "last tuesday")
    assert code == 2 and "--since 'last tuesday'" in err and "2h" in err
    code, _, err = await connectors(core, tmp_path, "--tenant", "no-such-shop")
    assert code == 2 and "--tenant 'no-such-shop': no tenant has this id or slug" in err
    code, _, err = await connectors(core, tmp_path, "--tenant", str(uuid.uuid4()))
    assert code == 2 and "no tenant" in err
    assert (await record_row(db, tenant, rid)).state == "dead"


@pytest.mark.skipif(not HAS_PREVIEW, reason="needs preview_record (workers/preview.py)")
async def test_a_dry_run_prints_what_each_record_would_send_and_sends_nothing(
    own_core: CoreHandle,
    loop: Loop,  # noqa: F811
    own_worker: Worker,
    db: Database,
    tmp_path: Path,
) -> None:
    orders = await loop.zoho_api("GET", "/salesorders", params={"filter_by": "Status.Confirmed"})
    order = next(o for o in orders["salesorders"] if not o.get("cf_awb_number"))
    tenant = uuid.UUID(loop.tenant)
    source = f"zoho_salesorder:{order['salesorder_id']}"
    payload = {"salesorder_id": str(order["salesorder_id"]), "connection_id": loop.zoho}
    rid = await make_record(db, tenant, source, payload=payload, dead=Reason.PROVIDER_REJECTED)
    code, out, err = await connectors(own_core, tmp_path, "--tenant", loop.tenant, "--dry-run")
    assert code == 0, out + err
    assert "1 record(s) would be replayed, 0 refused" in out
    line = next(line for line in out.splitlines() if source in line)
    assert "[fulfilment/start]  would send: POST shiprocket /orders/create/adhoc {" in line
    assert (await record_row(db, tenant, rid)).state == "dead"
    creates = httpx.get(f"{loop.shiprocket_info['admin_url']}/requests", params={"path": "/v1/external/orders"}).json()
    assert [r for r in creates["requests"] if r["method"] == "POST"] == []
