"""The webhook ingress end to end: the providers' sandboxes deliver to the portal under uvicorn, the real core
verifies, rows land in PostgreSQL's inbox and ingest jobs in Redis; forgeries and junk are refused."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from typing import Any

import httpx
import structlog
from arq.constants import job_key_prefix
from sqlalchemy import text

from connector.v1 import connection_pb2, connection_pb2_grpc, token_pb2, token_pb2_grpc
from portal.hooks import MAX_BODY
from sandbox.zoho.webhooks import SIGNATURE_HEADER, signature
from tests.conftest import eventually, free_port
from tests.portal.conftest import Portal, portal_settings, serving
from workers.queue import INGEST_EVENT, QUEUE, ingest_job_id


def signed(secret: str, data: Any, query: list[tuple[str, str]] | None = None) -> tuple[bytes, dict[str, str]]:
    """A body and headers as the Zoho sandbox would send them for this secret."""
    body = json.dumps(data).encode()
    return body, {"content-type": "application/json", SIGNATURE_HEADER: signature(secret, query or [], body)}


def salesorder(so_id: str | None = None, modified: str = "2026-01-07T12:06:10+0530") -> dict[str, Any]:
    return {"salesorder": {"salesorder_id": so_id or str(uuid.uuid4().int)[:19], "last_modified_time": modified}}


async def answered_delivery(http: httpx.AsyncClient, admin_url: str, connection: str) -> dict[str, Any]:
    """The sandbox's one delivery to this connection, once the answer to its first attempt is logged."""
    async with asyncio.timeout(15):
        while True:
            deliveries = (await http.get(f"{admin_url}/webhooks/deliveries")).json()["deliveries"]
            mine = [d for d in deliveries if connection in d["url"]]
            if mine and mine[0]["attempts"]:
                (delivery,) = mine
                return delivery  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)


async def assert_one_job(portal: Portal, tenant: str, inbox_id: Any) -> None:
    """Exactly one ingest job for the tenant: the row's, under its deterministic id, with (tenant, row). The
    ingress queues it right after its answer, so it may take a moment to appear."""
    job = await eventually(lambda: portal.job(inbox_id), "the inbox row's ingest job to be queued", seconds=5)
    assert job is not None and job.function == INGEST_EVENT and job.args == (tenant, str(inbox_id))
    assert [j.args for j in await portal.tenant_jobs(tenant)] == [(tenant, str(inbox_id))]
    assert await portal.queue.zscore(QUEUE, ingest_job_id(str(inbox_id))) is not None


async def test_healthz(portal: Portal, http: httpx.AsyncClient) -> None:
    r = await http.get(f"{portal.url}/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_a_zoho_sales_order_confirmed_in_the_sandbox_is_stored_once_and_enqueued(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    info = sandboxes.fresh("zoho")
    tenant, connection, setup = await portal.hooked(sandboxes, "zoho")
    token = await portal.core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection)
    )
    api = httpx.AsyncClient(
        base_url=f"{token.base_url}/inventory/v1",
        params=dict(token.params),
        headers={token.header_name: token.header_value},
        timeout=30,
    )
    async with api:
        hook = await api.post(
            "/settings/webhooks",
            json={
                "webhook_name": "Sales orders to the platform",
                "entity": "salesorder",
                "events": ["confirmed"],
                "url": portal.url + setup.path,
                "secret": setup.secret,
                "query_parameters": [{"param_name": "event", "param_value": "confirmed"}],
            },
        )
        assert hook.status_code == 201, hook.text
        orders = (await api.get("/salesorders")).json()["salesorders"]
        draft = next(so for so in orders if so["status"] == "draft")
        confirmed = await api.post(f"/salesorders/{draft['salesorder_id']}/status/confirmed")
        assert confirmed.json()["code"] == 0, confirmed.text

    (row,) = await portal.wait_for_inbox(connection, 1)
    delivery = await answered_delivery(http, info["admin_url"], connection)
    assert delivery["attempts"][0]["status"] == 202 and delivery["delivered"]
    answer = json.loads(delivery["attempts"][0]["response"])
    assert answer == {"status": "accepted", "event_id": str(row["id"])}
    sent = json.loads(delivery["body"])["salesorder"]
    assert sent["salesorder_id"] == draft["salesorder_id"] and sent["status"] == "confirmed"
    assert row["dedup_key"] == f"zoho:salesorder.confirmed:{draft['salesorder_id']}:{sent['last_modified_time']}"
    assert str(row["tenant_id"]) == tenant and row["provider"] == "zoho" and row["state"] == "new"
    assert row["body"] == delivery["body"]  # exactly as received
    assert row["headers"]["x-zoho-webhook-signature"] == "[redacted]"
    assert row["headers"]["user-agent"] == "Zoho-Webhook"
    assert setup.secret not in json.dumps(row["headers"])
    await assert_one_job(portal, tenant, row["id"])

    # Zoho retries, or a replay: the very same delivery 100 times at once is one row and one job.
    replays = await asyncio.gather(
        *(
            http.post(delivery["url"], content=delivery["body"].encode(), headers=delivery["headers"])
            for _ in range(100)
        )
    )
    assert {(r.status_code, r.json()["status"], r.json()["event_id"]) for r in replays} == {
        (200, "duplicate", str(row["id"]))
    }
    assert len(await portal.inbox(connection)) == 1
    await assert_one_job(portal, tenant, row["id"])


async def test_a_hundred_simultaneous_first_deliveries_make_one_row_and_one_job(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    tenant, connection, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    answers = await asyncio.gather(
        *(http.post(portal.url + setup.path, content=body, headers=headers) for _ in range(100))
    )
    assert Counter((r.status_code, r.json()["status"]) for r in answers) == {
        (202, "accepted"): 1,
        (200, "duplicate"): 99,
    }
    (row,) = await portal.inbox(connection)
    assert {r.json()["event_id"] for r in answers} == {str(row["id"])}
    await assert_one_job(portal, tenant, row["id"])


async def test_forged_or_unsigned_zoho_deliveries_are_refused_whatever_their_body(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "zoho")
    body = json.dumps(salesorder()).encode()
    url = portal.url + setup.path
    cases = [
        (url, body, {SIGNATURE_HEADER: signature("x" * 32, [], body)}),  # another secret
        (url, body, {}),  # unsigned
        (url, b"not json at all", {SIGNATURE_HEADER: "0" * 64}),  # junk: still 401, not 400
        (url + "?event=confirmed", body, {SIGNATURE_HEADER: signature(setup.secret, [], body)}),  # query not signed
    ]
    for target, content, headers in cases:
        r = await http.post(target, content=content, headers=headers)
        assert r.status_code == 401 and r.json()["error"], (target, r.status_code, r.text)
    assert await portal.inbox(connection) == []


async def test_malformed_or_non_object_json_with_a_valid_signature_is_400(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "zoho")
    for content, expected in [
        (b"", "body is not JSON: Expecting value at line 1 column 1"),
        (b'{"salesorder": ', "body is not JSON: Expecting value at line 1 column 16"),
        (b"[1, 2]", "body is JSON but not an object (found list)"),
        (b"\xff\xfe{}", "body is not UTF-8"),
    ]:
        headers = {SIGNATURE_HEADER: signature(setup.secret, [], content)}
        r = await http.post(portal.url + setup.path, content=content, headers=headers)
        assert r.status_code == 400 and r.json()["error"].startswith(expected), r.text
    assert await portal.inbox(connection) == []


async def test_unknown_providers_and_connections_are_404(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, zoho_connection, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    r = await http.post(f"{portal.url}/hooks/paypal/{zoho_connection}", content=body, headers=headers)
    assert r.status_code == 404 and "paypal" in r.json()["error"]
    r = await http.post(f"{portal.url}/hooks/zoho/{uuid.uuid4()}", content=body, headers=headers)
    assert r.status_code == 404 and "does not exist" in r.json()["error"]
    r = await http.post(f"{portal.url}/hooks/zoho/not-a-connection", content=body, headers=headers)
    assert r.status_code == 404
    # A Zoho connection's id under Shiprocket's path: not a Shiprocket connection.
    r = await http.post(f"{portal.url}/hooks/shiprocket/{zoho_connection}", content=body, headers={"x-api-key": "k"})
    assert r.status_code == 404
    assert await portal.inbox(zoho_connection) == []


async def test_a_body_over_the_limit_is_413(portal: Portal, sandboxes: Any, http: httpx.AsyncClient) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "zoho")
    content = b'{"a": "' + b"x" * MAX_BODY + b'"}'
    r = await http.post(portal.url + setup.path, content=content, headers=signed(setup.secret, {})[1])
    assert r.status_code == 413 and "larger than" in r.json()["error"]
    assert await portal.inbox(connection) == []


async def test_shiprocket_tracking_pushes_with_the_right_token_only(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    info = sandboxes.fresh("shiprocket")
    admin = info["admin_url"]
    tenant, connection, setup = await portal.hooked(sandboxes, "shiprocket")
    assert setup.header_name == "x-api-key"
    # Shiprocket refuses URLs containing its own name: the ingress answers under /hooks/tracking/ too.
    url = f"{portal.url}/hooks/tracking/{connection}"
    configured = await http.post(f"{admin}/webhook-config", json={"account": "demo", "url": url, "token": setup.secret})
    assert configured.status_code == 200, configured.text
    orders = (await http.get(f"{admin}/state", params={"account": "demo"})).json()["accounts"]["demo"]["orders"]
    awb = next(o["awb"] for o in orders if o["status"] == "IN TRANSIT")
    moved = await http.post(f"{admin}/shipments/{awb}/advance", json={"status": "REACHED AT DESTINATION HUB"})
    assert moved.status_code == 200, moved.text
    (row,) = await portal.wait_for_inbox(connection, 1)
    push = json.loads(row["body"])
    assert row["dedup_key"] == f"shiprocket:{awb}:{push['current_status_id']}:{push['current_timestamp']}"
    assert row["provider"] == "shiprocket" and row["headers"]["x-api-key"] == "[redacted]"
    # Shiprocket counts only 200 as delivered: the sandbox saw the push delivered on the first attempt.
    (applied,) = moved.json()["applied"]
    assert applied["webhook_delivery"]["delivered"] and applied["webhook_delivery"]["attempts"][0]["status"] == 200
    await assert_one_job(portal, tenant, row["id"])

    # The same push replayed by the sandbox: a duplicate, still 200.
    replay = (
        await http.post(f"{admin}/webhooks/emit", json={"replay": applied["webhook_delivery"]["delivery"]})
    ).json()
    assert (
        replay["attempts"][0]["status"] == 200
        and json.loads(replay["attempts"][0]["response"])["status"] == "duplicate"
    )

    wrong = await http.post(
        f"{admin}/webhooks/emit",
        json={"awb": awb, "account": "demo", "status": "OUT FOR DELIVERY", "token": "not-the-token"},
    )
    assert wrong.json()["attempts"][0]["status"] == 401
    missing = await http.post(url, json={"awb": awb})
    assert missing.status_code == 401 and "x-api-key" in missing.json()["error"]
    assert len(await portal.inbox(connection)) == 1

    # Under the provider's own name, and a COD remittance body.
    r = await http.post(
        f"{portal.url}/hooks/shiprocket/{connection}", json={"remittance_id": 881}, headers={"x-api-key": setup.secret}
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    keys = {row["dedup_key"] for row in await portal.inbox(connection)}
    assert "shiprocket:remittance:881" in keys


async def test_a_shiprocket_body_lacking_its_awb_is_still_stored_under_its_hash(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "shiprocket")
    content = b'{"current_status": "DELIVERED"}'
    r = await http.post(
        f"{portal.url}/hooks/tracking/{connection}", content=content, headers={"x-api-key": setup.secret}
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    (row,) = await portal.inbox(connection)
    assert row["dedup_key"].startswith("shiprocket:sha256:") and row["body"] == content.decode()


async def test_shipstation_deliveries_carry_their_secret_in_the_url(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    info = sandboxes.fresh("shipstation")
    tenant, connection, setup = await portal.hooked(sandboxes, "shipstation")
    assert setup.path == f"/hooks/shipstation/{connection}/{setup.secret}"
    demo = info["demo"]
    subscribed = await http.post(
        f"{info['base_url']}/webhooks/subscribe",
        auth=(demo["api_key"], demo["api_secret"]),
        json={"target_url": portal.url + setup.path, "event": "ORDER_NOTIFY", "friendly_name": "platform"},
    )
    assert subscribed.status_code == 200, subscribed.text
    # A storm: the same notice five times.
    storm = await http.post(
        f"{info['admin_url']}/webhooks/emit", json={"event": "ORDER_NOTIFY", "repeat": 5}, timeout=30
    )
    assert storm.status_code == 200, storm.text
    statuses = sorted(d["attempts"][0]["status"] for d in storm.json()["deliveries"])
    assert statuses[0] in (200, 202) and set(statuses) <= {200, 202} and statuses.count(202) == 1
    (row,) = await portal.inbox(connection)
    assert row["dedup_key"] == f"shipstation:ORDER_NOTIFY:{storm.json()['resource_url']}"
    await assert_one_job(portal, tenant, row["id"])

    notice = {"resource_url": storm.json()["resource_url"] + "x", "resource_type": "ORDER_NOTIFY"}
    for url in (f"{portal.url}/hooks/shipstation/{connection}/wrong", f"{portal.url}/hooks/shipstation/{connection}"):
        r = await http.post(url, json=notice)
        assert r.status_code == 401, r.text
    assert len(await portal.inbox(connection)) == 1


async def test_a_duplicate_is_enqueued_again_only_while_its_row_is_new(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    tenant, _, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    first = await http.post(portal.url + setup.path, content=body, headers=headers)
    event_id = first.json()["event_id"]
    job_id = ingest_job_id(event_id)
    await assert_one_job(portal, tenant, event_id)

    async def lose_the_job() -> None:  # Redis lost it (or was flushed)
        await portal.queue.delete(job_key_prefix + job_id)
        await portal.queue.zrem(QUEUE, job_id)
        assert await portal.job(event_id) is None

    await lose_the_job()
    again = await http.post(portal.url + setup.path, content=body, headers=headers)
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "event_id": event_id}
    await assert_one_job(portal, tenant, event_id)

    await lose_the_job()
    async with portal.db.owner.begin() as conn:
        await conn.execute(text("UPDATE inbox SET state = 'done' WHERE id = :id"), {"id": uuid.UUID(event_id)})
    late = await http.post(portal.url + setup.path, content=body, headers=headers)
    assert late.status_code == 200 and late.json()["status"] == "duplicate"
    # Jobs are queued in the order of the answers: once a later delivery's job is there, the late one's would be.
    body, headers = signed(setup.secret, salesorder())
    later = await http.post(portal.url + setup.path, content=body, headers=headers)
    await eventually(lambda: portal.job(later.json()["event_id"]), "a later delivery's job", seconds=5)
    assert await portal.job(event_id) is None


async def test_with_redis_down_the_event_is_stored_and_still_accepted(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    tenant, connection, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    async with serving(portal_settings(portal.core, redis_url=f"redis://127.0.0.1:{free_port()}/0")) as url:
        r = await http.post(url + setup.path, content=body, headers=headers)
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    (row,) = await portal.inbox(connection)
    assert row["state"] == "new" and str(row["id"]) == r.json()["event_id"]
    assert await portal.job(row["id"]) is None  # the sweeper's work, later
    # Redis back: the provider's retry is a duplicate and enqueues the stored event.
    retry = await http.post(portal.url + setup.path, content=body, headers=headers)
    assert retry.json() == {"status": "duplicate", "event_id": str(row["id"])}
    await assert_one_job(portal, tenant, row["id"])


async def test_with_the_core_unreachable_the_provider_is_told_to_retry(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    async with serving(portal_settings(portal.core, core_addr=f"127.0.0.1:{free_port()}")) as url:
        r = await http.post(url + setup.path, content=body, headers=headers)
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert await portal.inbox(connection) == []


async def test_refusals_are_logged_without_body_or_secrets(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    _, connection, setup = await portal.hooked(sandboxes, "shiprocket")
    with structlog.testing.capture_logs() as logs:
        async with serving(portal.settings) as own:
            forged = await http.post(
                f"{own}/hooks/tracking/{connection}",
                content=b'{"awb": "BODY-MARKER-1234"}',
                headers={"x-api-key": "guessed-token-5678", "authorization": "Bearer leaked-9999"},
            )
    assert forged.status_code == 401
    (entry,) = [e for e in logs if e["event"] == "webhook refused"]
    assert entry["provider"] == "tracking" and entry["connection"] == connection and entry["status"] == 401
    assert entry["remote"] == "127.0.0.1" and "x-api-key" in entry["reason"]
    dumped = json.dumps(logs, default=str)
    for secret in ("BODY-MARKER-1234", "guessed-token-5678", "leaked-9999", setup.secret):
        assert secret not in dumped


async def test_a_deleted_connections_deliveries_are_refused_at_once(
    portal: Portal, sandboxes: Any, http: httpx.AsyncClient
) -> None:
    """The ingress verifies with a verifier it keeps; deleting the connection drops it on every portal."""
    tenant, connection, setup = await portal.hooked(sandboxes, "zoho")
    body, headers = signed(setup.secret, salesorder())
    assert (await http.post(portal.url + setup.path, content=body, headers=headers)).status_code == 202
    await portal.core.stub(connection_pb2_grpc.ConnectionServiceStub).DeleteConnection(
        connection_pb2.DeleteConnectionRequest(tenant_id=tenant, connection_id=connection)
    )
    body, headers = signed(setup.secret, salesorder())

    async def refused() -> bool:
        r = await http.post(portal.url + setup.path, content=body, headers=headers)
        return r.status_code == 404 and "does not exist" in r.json()["error"]

    await eventually(refused, "deliveries to the deleted connection to be refused", seconds=5)


async def test_other_methods_and_addresses_under_hooks_are_refused_plainly(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    connection = str(uuid.uuid4())
    r = await http.get(f"{portal.url}/hooks/zoho/{connection}")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and "POST" in r.json()["error"]
    for path in ("/hooks", "/hooks/zoho", f"/hooks/shipstation/{connection}/secret/extra"):
        r = await http.post(portal.url + path, content=b"{}")
        assert r.status_code == 404 and r.json()["error"] == "webhooks go to /hooks/{provider}/{connection}", path
