"""The fulfilment loop under the faults real providers have: 429s with Retry-After, 5xx, calls that never
answer, and a create whose answer is lost after the provider committed it. Every order must end with exactly
one Shiprocket order and one AWB — never a duplicate — and a record that cannot go on is kept with its reason
and completes when replayed."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import select

from tenants.db import make_app_engine, make_sessions, tenant_session
from tenants.models import Record
from tests.workers.conftest import Loop, store_event, wait_for_record
from workers.engine import records
from workers.runner import enqueue_record

CREATE = "/v1/external/orders/create/adhoc"
ASSIGN = "/v1/external/courier/assign/awb"


def seed_confirmed(loop: Loop, count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    answer = httpx.post(
        f"{loop.zoho_info['admin_url']}/seed",
        json={
            "account": "demo",
            "orders": count,
            "status": "confirmed",
            "from": (now - timedelta(hours=2)).isoformat(),
            "to": now.isoformat(),
            "seed": count,
        },
        timeout=10,
    )
    answer.raise_for_status()
    return list(answer.json()["salesorders"])


def fault(info: dict[str, Any], **rule: Any) -> None:
    httpx.post(f"{info['admin_url']}/faults", json=rule, timeout=5).raise_for_status()


def shiprocket_orders(loop: Loop) -> Counter[str]:
    """How many Shiprocket orders exist per channel order id (our sales order number)."""
    answer = httpx.get(f"{loop.shiprocket_info['admin_url']}/state", params={"account": "demo"}, timeout=10).json()
    orders = answer.get("orders") or answer.get("accounts", {}).get("demo", {}).get("orders") or {}
    rows = orders.values() if isinstance(orders, dict) else orders
    return Counter(str(o.get("channel_order_id") or o.get("order_id")) for o in rows)


async def wait_all(loop: Loop, orders: list[dict[str, Any]], states: tuple[str, ...]) -> list[Record]:
    return await asyncio.gather(
        *(wait_for_record(loop, f"zoho_salesorder:{o['salesorder_id']}", states, seconds=90) for o in orders)
    )


async def test_faults_never_duplicate_an_order_and_every_order_gets_its_awb(
    loop: Loop, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "RETRY_SCALE", 0.1)
    orders = seed_confirmed(loop, 4)
    sr, zoho = loop.shiprocket_info, loop.zoho_info
    fault(sr, kind="drop_after_commit", method="POST", path_prefix=CREATE, count=2)
    fault(sr, kind="status", status=429, retry_after=1, method="GET", path_prefix="/v1/external/courier/serv", count=2)
    fault(sr, kind="status", status=502, method="POST", path_prefix=ASSIGN, count=1)
    fault(sr, kind="timeout", hang_seconds=8, method="POST", path_prefix=ASSIGN, count=1)
    fault(zoho, kind="status", status=503, method="PUT", path_prefix="/inventory/v1/salesorders", count=1)
    for order in orders:
        await store_event(loop, {"salesorder": {**order, "status": "confirmed"}})
    done = await wait_all(loop, orders, ("succeeded", "dead"))
    assert [r.state for r in done] == ["succeeded"] * len(orders), [(r.state, r.last_error) for r in done]
    fired = httpx.get(f"{sr['admin_url']}/faults", timeout=5).json()["rules"]
    assert all(rule["fired"] == rule["count"] for rule in fired), fired  # every fault really happened
    numbers = [o["salesorder_number"] for o in orders]
    created = shiprocket_orders(loop)
    assert {n: created[n] for n in numbers} == dict.fromkeys(numbers, 1)
    assert sum(r.attempts for r in done) > len(orders)  # the faults cost attempts, not orders
    awbs = {r.target_refs["awb"] for r in done}
    assert len(awbs) == len(orders)


async def test_a_dead_lettered_order_completes_once_when_replayed(
    loop: Loop, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(records, "RETRY_SCALE", 0.1)
    [order] = seed_confirmed(loop, 1)
    fault(loop.shiprocket_info, kind="drop_after_commit", method="POST", path_prefix=CREATE, count=1)
    fault(loop.shiprocket_info, kind="status", status=500, method="GET", path_prefix="/v1/external/orders", count=4)
    await store_event(loop, {"salesorder": {**order, "status": "confirmed"}})
    source = f"zoho_salesorder:{order['salesorder_id']}"
    dead = await wait_for_record(loop, source, ("dead", "succeeded"), seconds=60)
    assert dead.state == "dead" and dead.reason == "provider_rejected", (dead.state, dead.last_error)
    assert "gave up after 2 attempts" in (dead.last_error or "")
    # A person replays it once the provider is healthy: the look-up finds the order the lost answer created.
    httpx.delete(f"{loop.shiprocket_info['admin_url']}/faults", timeout=5).raise_for_status()
    engine = make_app_engine(loop.settings)
    tenant = uuid.UUID(loop.tenant)
    async with tenant_session(make_sessions(engine), tenant) as session:
        record = (await session.execute(select(Record).where(Record.id == dead.id).with_for_update())).scalar_one()
        await records.replay(session, record, "test", "Shiprocket was down")
    await engine.dispose()
    await enqueue_record(worker.ctx["services"], tenant, record)
    done = await wait_for_record(loop, source, ("succeeded",), seconds=60)
    assert done.target_refs["awb"]
    assert shiprocket_orders(loop)[order["salesorder_number"]] == 1
