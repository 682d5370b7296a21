"""ShipStation V1 simulator: Pacific time output, DST-boundary filters, the 40/min window, seeding at scale."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import SandboxProcesses

Info = dict[str, Any]
# A connection per call: kept-alive connections to the sandbox pay ~40 ms of Nagle delay per answer (the kit's
# listening sockets lack TCP_NODELAY), which would make the suite slow and pace clients slower than meant.
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)

# The shared sandbox fixture leaves its log file to the garbage collector; that warning is not ours.
PACIFIC_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$")


@pytest.fixture
def ss(sandboxes: SandboxProcesses) -> Info:
    return sandboxes.fresh("shipstation")


def api(info: Info) -> httpx.Client:
    demo = info["demo"]
    return httpx.Client(
        base_url=info["base_url"], auth=(demo["api_key"], demo["api_secret"]), timeout=10, limits=NO_KEEPALIVE
    )


def admin(info: Info, path: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(info["admin_url"] + path, json=body, timeout=30)
    r.raise_for_status()
    result: dict[str, Any] = r.json()
    return result


def order(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "orderNumber": number,
        "orderDate": "2025-03-08 12:00:00",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "Pat"},
        "shipTo": {
            "name": "Pat",
            "street1": "1 Main St",
            "city": "Portland",
            "state": "OR",
            "postalCode": "97205",
            "country": "US",
        },
        "items": [{"sku": "A", "quantity": 1, "unitPrice": 5}],
        **extra,
    }


# ----------------------------------------------------------------------------------------- Pacific time
def test_datetimes_are_pacific_without_offset_and_switch_between_pst_and_pdt(ss: Info) -> None:
    with api(ss) as client:
        admin(ss, "/clock", set="2025-01-15T20:00:00.123456+00:00")
        winter = client.post("/orders/createorder", json=order("PST-1")).json()
        admin(ss, "/clock", set="2025-07-15T20:00:00+00:00")
        summer = client.post("/orders/createorder", json=order("PDT-1")).json()
    assert winter["createDate"].startswith("2025-01-15T12:00:00.")  # UTC-8
    assert summer["createDate"].startswith("2025-07-15T13:00:00.")  # UTC-7
    for value in (winter["createDate"], winter["modifyDate"], summer["orderDate"], summer["items"][0]["createDate"]):
        assert PACIFIC_FORMAT.match(value), value


def test_body_dates_are_read_as_pacific_and_accept_offsets(ss: Info) -> None:
    with api(ss) as client:
        plain = client.post("/orders/createorder", json=order("IN-1", orderDate="2025-07-01 08:00:00")).json()
        iso = client.post("/orders/createorder", json=order("IN-2", orderDate="2025-07-01T08:00:00.0000000")).json()
        zulu = client.post("/orders/createorder", json=order("IN-3", orderDate="2025-07-01T15:00:00Z")).json()
        us = client.post("/orders/createorder", json=order("IN-4", orderDate="7/1/2025 8:00:00 AM")).json()
    assert (
        plain["orderDate"] == iso["orderDate"] == zulu["orderDate"] == us["orderDate"] == "2025-07-01T08:00:00.0000000"
    )


def test_spring_forward_filter_window_spans_the_missing_hour(ss: Info) -> None:
    with api(ss) as client:
        admin(ss, "/clock", set="2025-03-09T09:59:00+00:00")  # 01:59 PST
        before = client.post("/orders/createorder", json=order("DST-A")).json()
        admin(ss, "/clock", advance_seconds=120)  # 10:01 UTC is 03:01 PDT
        after = client.post("/orders/createorder", json=order("DST-B")).json()
        window = client.get(
            "/orders",
            params={
                "modifyDateStart": "2025-03-09 01:30:00",
                "modifyDateEnd": "2025-03-09 03:30:00",
                "sortBy": "ModifyDate",
                "orderNumber": "DST-",
            },
        ).json()
        early = client.get(
            "/orders",
            params={
                "modifyDateStart": "2025-03-09 00:00:00",
                "modifyDateEnd": "2025-03-09 02:30:00",
                "orderNumber": "DST-",
            },
        ).json()
    assert before["modifyDate"].startswith("2025-03-09T01:59:00")
    assert after["modifyDate"].startswith("2025-03-09T03:01:00")
    assert [o["orderNumber"] for o in window["orders"]] == ["DST-A", "DST-B"]
    # 02:30 does not exist that day; as an end bound it is read as the later instant, 03:30 PDT.
    assert [o["orderNumber"] for o in early["orders"]] == ["DST-A", "DST-B"]


def test_fall_back_hour_is_covered_by_an_inclusive_window(ss: Info) -> None:
    with api(ss) as client:
        admin(ss, "/clock", set="2025-11-02T08:30:00+00:00")  # 01:30 PDT
        first = client.post("/orders/createorder", json=order("FB-1")).json()
        admin(ss, "/clock", advance_seconds=3600)  # 09:30 UTC is 01:30 PST, the repeated hour
        second = client.post("/orders/createorder", json=order("FB-2")).json()

        def numbers(**params: str) -> list[str]:
            return [
                o["orderNumber"]
                for o in client.get("/orders", params={**params, "sortBy": "ModifyDate", "orderNumber": "FB-"}).json()[
                    "orders"
                ]
            ]

        both = numbers(modifyDateStart="2025-11-02 01:00:00", modifyDateEnd="2025-11-02 01:59:59")
        pst_only = numbers(modifyDateStart="2025-11-02T01:00:00-08:00", modifyDateEnd="2025-11-02T01:59:59-08:00")
        pdt_only = numbers(modifyDateStart="2025-11-02T01:00:00-07:00", modifyDateEnd="2025-11-02T01:59:59-07:00")
    assert first["modifyDate"][:19] == second["modifyDate"][:19] == "2025-11-02T01:30:00"
    assert both == ["FB-1", "FB-2"] and pst_only == ["FB-2"] and pdt_only == ["FB-1"]


def test_modify_date_bumps_on_every_change(ss: Info) -> None:
    with api(ss) as client:
        created = client.post("/orders/createorder", json=order("MB-1", orderKey="mb-1")).json()
        oid = created["orderId"]
        stamps = [created["modifyDate"]]
        for step in (
            lambda: client.post("/orders/createorder", json=order("MB-1", orderKey="mb-1", internalNotes="x")),
            lambda: client.post("/orders/holduntil", json={"orderId": oid, "holdUntilDate": "2030-01-01"}),
            lambda: client.post("/orders/restorefromhold", json={"orderId": oid}),
            lambda: client.post("/orders/addtag", json={"orderId": oid, "tagId": 1201}),
            lambda: httpx.post(f"{ss['admin_url']}/orders/{oid}/edit", json={"fields": {"customerNotes": "hi"}}),
            lambda: httpx.post(f"{ss['admin_url']}/orders/{oid}/ship", json={}),
            lambda: httpx.post(f"{ss['admin_url']}/orders/{oid}/void", json={}),
        ):
            admin(ss, "/clock", advance_seconds=2)
            assert step().status_code == 200
            stamps.append(client.get(f"/orders/{oid}").json()["modifyDate"])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert created["createDate"] == stamps[0] < stamps[-1]


def test_hold_until_releases_the_order_when_its_pacific_date_arrives(ss: Info) -> None:
    with api(ss) as client:
        admin(ss, "/clock", set="2025-06-10T06:30:00+00:00")  # 23:30 PDT on June 9th
        created = client.post("/orders/createorder", json=order("HOLD-1")).json()
        oid = created["orderId"]
        client.post("/orders/holduntil", json={"orderId": oid, "holdUntilDate": "2025-06-10"})
        held = client.get(f"/orders/{oid}").json()
        admin(ss, "/clock", advance_seconds=45 * 60)  # 00:15 PDT on June 10th
        released = client.get(f"/orders/{oid}").json()
    assert held["orderStatus"] == "on_hold" and held["holdUntilDate"] == "2025-06-10"
    assert released["orderStatus"] == "awaiting_shipment" and released["holdUntilDate"] is None
    assert released["modifyDate"].startswith("2025-06-10T00:15") and released["modifyDate"] > held["modifyDate"]


# ------------------------------------------------------------------------------------------ rate limit
def test_forty_requests_a_minute_then_429_with_headers(ss: Info) -> None:
    with api(ss) as client:
        answers = [client.get("/stores") for _ in range(41)]
        admin(ss, "/clock", advance_seconds=61)
        later = client.get("/stores")
    assert [a.status_code for a in answers[:40]] == [200] * 40
    assert [int(a.headers["x-rate-limit-remaining"]) for a in answers[:40]] == list(range(39, -1, -1))
    assert all(a.headers["x-rate-limit-limit"] == "40" for a in answers)
    assert 0 < int(answers[0].headers["x-rate-limit-reset"]) <= 60
    limited = answers[40]
    assert limited.status_code == 429 and limited.json() == {"Message": "Too Many Requests"}
    assert limited.headers["x-rate-limit-remaining"] == "0" and int(limited.headers["x-rate-limit-reset"]) > 0
    assert later.status_code == 200 and later.headers["x-rate-limit-remaining"] == "39"


def test_each_key_pair_has_its_own_window_and_errors_count_too(ss: Info) -> None:
    other = httpx.post(ss["admin_url"] + "/accounts", json={}).json()
    with api(ss) as ours, httpx.Client(base_url=ss["base_url"], auth=(other["api_key"], other["api_secret"])) as theirs:
        statuses = [ours.get("/orders/1").status_code for _ in range(40)]
        assert statuses == [404] * 40
        assert ours.get("/stores").status_code == 429
        assert theirs.get("/stores").headers["x-rate-limit-remaining"] == "39"


def test_rate_limit_is_configurable(ss: Info) -> None:
    admin(ss, "/ratelimit", limit=3, window=10)
    with api(ss) as client:
        codes = [client.get("/stores").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        admin(ss, "/clock", advance_seconds=10)
        assert client.get("/stores").headers["x-rate-limit-limit"] == "3"


async def test_a_client_pacing_itself_at_forty_a_minute_never_sees_429(ss: Info) -> None:
    """On a compressed clock (speed 60, a minute a second) a client that sends exactly one call every 1.5
    sandbox seconds, counted from its first answer, gets through 60 calls without one 429; at a limit of 38
    the same client is refused, so the pacing is close to the edge."""

    async def paced_calls() -> list[int]:
        async with fresh_connections(ss) as client:
            statuses = [(await client.get("/stores")).status_code]
            began = time.monotonic()
            for n in range(1, 60):
                delay = began + n * 1.5 / 60 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                statuses.append((await client.get("/stores")).status_code)
        return statuses

    admin(ss, "/clock", speed=60)
    assert await paced_calls() == [200] * 60
    admin(ss, "/ratelimit", limit=38)
    assert 429 in await paced_calls()


async def test_a_client_honouring_the_reset_header_never_sees_429(ss: Info) -> None:
    """A client that bursts until ``X-Rate-Limit-Remaining`` is 0, then waits ``X-Rate-Limit-Reset`` seconds
    (sandbox seconds: a sixtieth in real time at speed 60), never sees a 429 over 60 calls."""
    admin(ss, "/clock", speed=60)
    statuses: list[int] = []
    async with fresh_connections(ss) as client:
        while len(statuses) < 60:
            r = await client.get("/stores")
            statuses.append(r.status_code)
            if r.headers["x-rate-limit-remaining"] == "0":
                await asyncio.sleep(int(r.headers["x-rate-limit-reset"]) / 60)
    assert statuses == [200] * 60


def fresh_connections(info: Info) -> httpx.AsyncClient:
    demo = info["demo"]
    return httpx.AsyncClient(base_url=info["base_url"], auth=(demo["api_key"], demo["api_secret"]), limits=NO_KEEPALIVE)


# ---------------------------------------------------------------------------------------------- seeding
def test_seeding_two_thousand_orders_over_thirty_days_is_fast_and_realistic(ss: Info) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=30)
    began = time.monotonic()
    result = admin(
        ss,
        "/seed",
        orders=2000,
        **{"from": start.isoformat(), "to": end.isoformat()},
        edits=0.2,
        cancellations=0.05,
        shipped=0.1,
        unicode=True,
        multi_line=True,
        currency_mix={"GBP": 0.02, "CAD": 0.01},
    )
    took = time.monotonic() - began
    assert result["created"] == 2000 and took < 3
    assert 300 < result["edited"] < 500 and 50 < result["cancelled"] < 150 and result["foreign"] > 20
    with api(ss) as client:
        pages, seen = 1, 0
        page = 1
        while page <= pages:
            body = client.get(
                "/orders",
                params={"pageSize": 500, "page": page, "sortBy": "ModifyDate"},
            ).json()
            pages = body["pages"]
            seen += len(body["orders"])
            if page == 1:
                sample = body["orders"]
            page += 1
        edited = [o for o in sample if o["modifyDate"] > o["createDate"]]
        foreign = client.get("/orders", params={"pageSize": 500, "page": 1}).json()["orders"]
        cancelled = client.get("/orders", params={"orderStatus": "cancelled", "pageSize": 1}).json()
        shipped = client.get("/shipments", params={"pageSize": 1}).json()
    assert seen >= 2000 and edited
    assert cancelled["total"] >= result["cancelled"] and shipped["total"] >= result["shipped"]
    assert all(o["advancedOptions"]["customField1"] in (None, "currency:GBP", "currency:CAD") for o in foreign)
    multi = [o for o in sample if len(o["items"]) > 1]
    assert multi and all(isinstance(o["orderTotal"], float) for o in sample)


def test_seed_refuses_bad_parameters(ss: Info) -> None:
    r = httpx.post(ss["admin_url"] + "/seed", json={"orders": 5, "edits": 2})
    assert r.status_code == 400
    r = httpx.post(ss["admin_url"] + "/seed", json={"orders": 5, "account": "nobody"})
    assert r.status_code == 404
