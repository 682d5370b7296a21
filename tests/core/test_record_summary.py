"""RecordService.SummarizeRecords over the real core: records per calendar day of their creation in a time
zone (days without records included), dead ones per reason, the window's limits, reasons and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from sqlalchemy import text

from connector.v1 import record_pb2 as pb
from tests.conftest import Database
from tests.core.conftest import CoreHandle
from tests.core.test_record_service import MERCHANT, SUPPORT, audit_rows, make_record, stub, ts, violations
from workers.engine.outcomes import Reason

KOLKATA = ZoneInfo("Asia/Kolkata")


async def dated(db: Database, record_id: uuid.UUID, created: datetime, updated: datetime | None = None) -> None:
    """Move a record's creation (and last update) to another instant, as if it had been made then."""
    async with db.owner.begin() as conn:
        await conn.execute(
            text("UPDATE records SET created_at = :c, updated_at = :u WHERE id = :id"),
            {"c": created, "u": updated or created, "id": record_id},
        )


async def summary(core: CoreHandle, tenant: uuid.UUID, since: datetime, until: datetime, **kw: Any) -> Any:
    kw.setdefault("actor", MERCHANT)
    return await stub(core).SummarizeRecords(
        pb.SummarizeRecordsRequest(tenant_id=str(tenant), since=ts(since), until=ts(until), **kw)
    )


def days(answer: Any) -> dict[str, tuple[int, int, int, int]]:
    return {d.date: (d.succeeded, d.failed, d.skipped, d.pending) for d in answer.days}


async def test_records_are_counted_per_calendar_day_in_the_time_zone(core: CoreHandle, db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    evening = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 on 2 March in Kolkata
    records = [
        (await make_record(db, tenant, "zoho_salesorder:1", state="succeeded"), evening),
        (await make_record(db, tenant, "zoho_salesorder:2", dead=Reason.UNMAPPED_SKU), evening - timedelta(hours=10)),
        (await make_record(db, tenant, "zoho_salesorder:3", state="skipped"), datetime(2026, 3, 3, 12, tzinfo=UTC)),
        # 23:59 on 3 March in Kolkata, and a running one on the same day
        (await make_record(db, tenant, "zoho_salesorder:4"), datetime(2026, 3, 3, 18, 29, tzinfo=UTC)),
        (await make_record(db, tenant, "zoho_salesorder:5", refs={"a": "1"}), datetime(2026, 3, 3, 1, tzinfo=UTC)),
        # Before the window in either zone.
        (await make_record(db, tenant, "zoho_salesorder:6", state="succeeded"), datetime(2026, 2, 28, tzinfo=UTC)),
        (await make_record(db, other, "zoho_salesorder:7", state="succeeded"), evening),  # another tenant's
    ]
    for rid, created in records:
        await dated(db, rid, created)

    since = datetime(2026, 3, 1, tzinfo=KOLKATA)
    kolkata = await summary(core, tenant, since, since + timedelta(days=4), time_zone="Asia/Kolkata")
    assert days(kolkata) == {
        "2026-03-01": (0, 1, 0, 0),
        "2026-03-02": (1, 0, 0, 0),  # the 20:00 UTC record
        "2026-03-03": (0, 0, 1, 2),
        "2026-03-04": (0, 0, 0, 0),  # no records, still a day
    }
    assert [d.date for d in kolkata.days] == sorted(days(kolkata))

    start = datetime(2026, 3, 1, tzinfo=UTC)
    utc = await summary(core, tenant, start, start + timedelta(days=4))  # no time zone: UTC
    assert days(utc) == {
        "2026-03-01": (1, 1, 0, 0),
        "2026-03-02": (0, 0, 0, 0),
        "2026-03-03": (0, 0, 1, 2),
        "2026-03-04": (0, 0, 0, 0),
    }
    assert days(await summary(core, tenant, start, start + timedelta(days=4), flow="tracking")) == {
        d: (0, 0, 0, 0) for d in days(utc)
    }

    # A window that starts and ends mid-day touches both days, counting only what lies inside it.
    part = await summary(core, tenant, evening - timedelta(hours=1), evening + timedelta(hours=1))
    assert days(part) == {"2026-03-01": (1, 0, 0, 0)}
    ends_at_midnight = await summary(core, tenant, start - timedelta(days=1), start)
    assert days(ends_at_midnight) == {"2026-02-28": (1, 0, 0, 0)}


async def test_dead_records_are_grouped_by_reason_with_the_newest_update(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    start = datetime(2026, 4, 1, tzinfo=UTC)
    dead: list[tuple[Reason, str, timedelta]] = [
        (Reason.UNMAPPED_SKU, "fulfilment", timedelta(hours=1)),
        (Reason.UNMAPPED_SKU, "fulfilment", timedelta(days=2)),
        (Reason.UNMAPPED_SKU, "tracking", timedelta(hours=5)),
        (Reason.NEEDS_REAUTH, "fulfilment", timedelta(days=1)),
    ]
    for i, (reason, flow, after) in enumerate(dead):
        rid = await make_record(db, tenant, f"zoho_salesorder:{i}", flow=flow, dead=reason)
        await dated(db, rid, start + after, start + after + timedelta(minutes=i))
    outside = await make_record(db, tenant, "zoho_salesorder:9", dead=Reason.PROVIDER_REJECTED)
    await dated(db, outside, start - timedelta(days=1))
    done = await make_record(db, tenant, "zoho_salesorder:10", state="succeeded")
    await dated(db, done, start)

    answer = await summary(core, tenant, start, start + timedelta(days=7))
    assert [(r.reason, r.count) for r in answer.reasons] == [("unmapped_sku", 3), ("needs_reauth", 1)]
    newest = {r.reason: r.last_update_time.ToDatetime(tzinfo=UTC) for r in answer.reasons}
    assert newest == {
        "unmapped_sku": start + timedelta(days=2, minutes=1),
        "needs_reauth": start + timedelta(days=1, minutes=3),
    }
    assert sum(d.failed for d in answer.days) == 4 and len(answer.days) == 7

    fulfilment = await summary(core, tenant, start, start + timedelta(days=7), flow="fulfilment")
    assert [(r.reason, r.count) for r in fulfilment.reasons] == [("unmapped_sku", 2), ("needs_reauth", 1)]
    empty = await summary(core, tenant, start + timedelta(days=10), start + timedelta(days=11))
    assert list(empty.reasons) == [] and days(empty) == {"2026-04-11": (0, 0, 0, 0)}


async def test_the_window_and_time_zone_are_checked(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    year = await summary(core, tenant, start, start + timedelta(days=366))
    assert len(year.days) == 366 and year.days[0].date == "2026-01-01" and year.days[-1].date == "2027-01-01"
    t = str(tenant)
    cases: list[tuple[Any, set[str]]] = [
        (pb.SummarizeRecordsRequest(tenant_id=t, actor=MERCHANT), {"since"}),
        (pb.SummarizeRecordsRequest(tenant_id=t, since=ts(start), until=ts(start), actor=MERCHANT), {"until"}),
        (
            pb.SummarizeRecordsRequest(
                tenant_id=str(tenant), since=ts(start), until=ts(start + timedelta(days=367)), actor=MERCHANT
            ),
            {"until"},
        ),
        (
            # 366 days of UTC touch 367 calendar days in Kolkata.
            pb.SummarizeRecordsRequest(
                tenant_id=str(tenant),
                since=ts(start),
                until=ts(start + timedelta(days=366)),
                time_zone="Asia/Kolkata",
                actor=MERCHANT,
            ),
            {"until"},
        ),
        (
            pb.SummarizeRecordsRequest(tenant_id=t, since=ts(start), time_zone="Mars/Olympus", actor=MERCHANT),
            {"time_zone"},
        ),
        (
            pb.SummarizeRecordsRequest(tenant_id=str(tenant), since=ts(start), time_zone="IST", actor=MERCHANT),
            {"time_zone"},
        ),
        (pb.SummarizeRecordsRequest(tenant_id="nope", since=ts(start), actor=MERCHANT), {"tenant_id"}),
        (pb.SummarizeRecordsRequest(tenant_id=str(tenant), since=ts(start)), {"actor.id", "actor.role"}),
    ]
    for request, fields in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub(core).SummarizeRecords(request)
        assert violations(err.value) == fields, request

    until_now = await stub(core).SummarizeRecords(
        pb.SummarizeRecordsRequest(
            tenant_id=str(tenant), since=ts(datetime.now(UTC) - timedelta(hours=1)), actor=MERCHANT
        )
    )
    assert 1 <= len(until_now.days) <= 2  # until: now


async def test_support_gives_a_reason_for_a_summary_and_it_is_audited(core: CoreHandle, db: Database) -> None:
    tenant = await db.new_tenant()
    start = datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await summary(core, tenant, start, start + timedelta(days=1), actor=SUPPORT)
    assert violations(err.value) == {"reason"}
    await summary(core, tenant, start, start + timedelta(days=1))  # the merchant: nothing audited
    assert await audit_rows(db, tenant) == []

    why = "ticket 8120: why did May fail"
    await summary(core, tenant, start, start + timedelta(days=1), actor=SUPPORT, reason=why, time_zone="Asia/Kolkata")
    rows = await audit_rows(db, tenant)
    assert [(r.actor_id, r.action, r.target, r.reason) for r in rows] == [
        (SUPPORT.id, "record.summary", "records", why)
    ]
    assert rows[0].details == {
        "since": start.isoformat(),
        "until": (start + timedelta(days=1)).isoformat(),
        "flow": "",
        "time_zone": "Asia/Kolkata",
    }
