"""Shiprocket sandbox: tracking webhooks driven by lifecycle admin routes, replayed and retried."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from test_shiprocket_support import HTTP, Receiver, Shiprocket, until

FIELDS = {
    "awb", "courier_name", "current_status", "current_status_id", "shipment_status", "shipment_status_id",
    "current_timestamp", "order_id", "sr_order_id", "awb_assigned_date", "pickup_scheduled_date", "etd", "scans",
    "is_return", "channel_id", "pod_status", "pod", "qc_image", "qc_failure_reason",
}  # fmt: skip


@pytest.fixture
def sr(sandboxes: Any) -> Shiprocket:
    return Shiprocket(sandboxes.fresh("shiprocket"))


@pytest.fixture
def receiver(sr: Shiprocket) -> Iterator[Receiver]:
    with Receiver().running() as rx:
        r = sr.admin_post("/webhook-config", {"url": rx.url, "token": "tok-123"})
        assert r.status_code == 200 and r.json()["url"] == rx.url
        yield rx


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/shiprocket-hook", "https://kartrocket.example/x", "http://example.in/srhook", "http://kr.in/"],
)
def test_webhook_urls_with_forbidden_words_are_refused(sr: Shiprocket, url: str) -> None:
    r = sr.admin_post("/webhook-config", {"url": url})
    assert r.status_code == 422 and "kartrocket" in r.json()["error"]


def test_a_status_change_posts_every_documented_field_with_the_token(sr: Shiprocket, receiver: Receiver) -> None:
    order = sr.shipped(payment_method="COD")
    receiver.wait_for(1)
    r = sr.advance(order["awb"], status="IN TRANSIT")
    assert r.status_code == 200
    got = receiver.wait_for(2)[-1]
    assert got["headers"]["x-api-key"] == "tok-123"
    assert got["headers"]["content-type"] == "application/json"
    body = got["body"]
    assert set(body) == FIELDS
    assert body["awb"] == order["awb"] and isinstance(body["awb"], str)
    assert body["current_status"] == body["shipment_status"] == "IN TRANSIT"
    assert body["current_status_id"] == 20 and body["shipment_status_id"] == 18
    assert re.match(r"^\d{2} \d{2} \d{4} \d{2}:\d{2}:\d{2}$", body["current_timestamp"])
    assert body["order_id"] == order["channel_order_id"] and body["sr_order_id"] == order["order_id"]
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", body["awb_assigned_date"])
    assert [s["sr-status-label"] for s in body["scans"]] == ["NA", "IN TRANSIT"]
    assert set(body["scans"][-1]) == {"date", "status", "activity", "location", "sr-status", "sr-status-label"}
    assert body["is_return"] == 0


def test_generating_a_pickup_fires_pickup_scheduled(sr: Shiprocket, receiver: Receiver) -> None:
    sr.shipped()
    body = receiver.wait_for(1)[0]["body"]
    assert body["current_status"] == "PICKUP SCHEDULED" and body["shipment_status_id"] == 3
    assert body["current_status_id"] == 4


def test_delivered_path_fires_each_status_in_order(sr: Shiprocket, receiver: Receiver) -> None:
    order = sr.create(payment_method="COD")
    awb = sr.assign(order["shipment_id"]).json()["response"]["data"]["awb_code"]
    r = sr.advance(awb, path="delivered")
    assert r.status_code == 200
    expected = [
        "PICKUP SCHEDULED", "OUT FOR PICKUP", "PICKED UP", "SHIPPED", "IN TRANSIT",
        "REACHED AT DESTINATION HUB", "OUT FOR DELIVERY", "DELIVERED",
    ]  # fmt: skip
    assert [a["status"] for a in r.json()["applied"]] == expected
    bodies = [x["body"] for x in receiver.wait_for(len(expected))]
    assert [b["current_status"] for b in bodies] == expected
    assert [len(b["scans"]) for b in bodies] == list(range(1, len(expected) + 1))
    last = bodies[-1]
    assert last["current_status_id"] == 7 and last["shipment_status_id"] == 7 and last["pod"] == "Available"
    tracking = sr.get(f"/courier/track/awb/{awb}").json()["tracking_data"]
    assert tracking["shipment_status"] == 7 and tracking["shipment_track"][0]["delivered_date"]
    assert sr.get(f"/orders/show/{order['order_id']}").json()["data"]["status"] == "DELIVERED"
    assert sr.advance(awb, status="IN TRANSIT").status_code == 409


@pytest.mark.parametrize(
    ("path", "final", "order_status", "shipment_status"),
    [("rto", "RTO DELIVERED", 16, 10), ("lost", "LOST", 33, 12), ("undelivered", "UNDELIVERED", 36, 21)],
)
def test_rto_lost_and_undelivered_paths(
    sr: Shiprocket, receiver: Receiver, path: str, final: str, order_status: int, shipment_status: int
) -> None:
    order = sr.shipped()
    r = sr.advance(order["awb"], path=path)
    assert r.status_code == 200
    count = 1 + len(r.json()["applied"])
    last = receiver.wait_for(count)[-1]["body"]
    assert last["current_status"] == final
    assert last["current_status_id"] == order_status and last["shipment_status_id"] == shipment_status
    assert sr.get(f"/orders/show/{order['order_id']}").json()["data"]["status_code"] == order_status


def test_impossible_transitions_are_refused_without_side_effects(sr: Shiprocket, receiver: Receiver) -> None:
    order = sr.shipped()
    receiver.wait_for(1)
    r = sr.advance(order["awb"], status="RTO DELIVERED")
    assert r.status_code == 409 and "RTO" in r.json()["error"]
    assert sr.advance(order["awb"], status="NOT A STATUS").status_code == 409
    assert sr.advance("999999", status="DELIVERED").status_code == 404
    assert len(receiver.received) == 1


def test_return_shipments_are_tracked_with_is_return(sr: Shiprocket, receiver: Receiver) -> None:
    returns = [o for o in sr.get("/orders", per_page=100).json()["data"] if o["is_return"] == 1]
    assert returns
    shipment_id = returns[0]["shipments"][0]["id"]
    assign = sr.assign(shipment_id, is_return=1).json()
    assert assign["awb_assign_status"] == 1
    awb = assign["response"]["data"]["awb_code"]
    sr.advance(awb, path="delivered").raise_for_status()
    bodies = [x["body"] for x in receiver.wait_for(8)]
    assert {b["is_return"] for b in bodies} == {1}
    assert bodies[-1]["current_status"] == "DELIVERED" and bodies[-1]["current_status_id"] == 26
    tracking = sr.get(f"/courier/track/awb/{awb}").json()["tracking_data"]
    assert tracking["track_status"] == 1


def test_emit_sends_duplicates_and_out_of_order_events(sr: Shiprocket, receiver: Receiver) -> None:
    order = sr.shipped()
    sr.advance(order["awb"], path="delivered").raise_for_status()
    count = len(receiver.wait_for(8))
    stale = HTTP.post(
        f"{sr.admin}/webhooks/emit", json={"awb": order["awb"], "status": "IN TRANSIT", "url": receiver.url}
    ).json()
    assert stale["delivered"] is True and stale["body"]["current_status"] == "IN TRANSIT"
    deliveries = HTTP.get(f"{sr.admin}/webhooks/deliveries").json()["deliveries"]
    replay = HTTP.post(f"{sr.admin}/webhooks/emit", json={"replay": deliveries[-2]["id"]}).json()
    assert replay["delivered"] is True
    got = receiver.wait_for(count + 2)
    assert got[-1]["body"] == got[count - 1]["body"]
    assert got[-2]["body"]["current_status"] == "IN TRANSIT" and got[-2]["headers"]["x-api-key"] == "tok-123"
    custom = HTTP.post(
        f"{sr.admin}/webhooks/emit",
        json={"awb": order["awb"], "url": receiver.url, "token": None, "overrides": {"awb": 12345}},
    ).json()
    assert custom["body"]["awb"] == 12345
    last = receiver.wait_for(count + 3)[-1]
    assert "x-api-key" not in last["headers"] and last["body"]["current_status"] == "DELIVERED"


def test_any_answer_but_200_is_a_failure_and_is_retried(sr: Shiprocket, receiver: Receiver) -> None:
    HTTP.post(f"{sr.admin}/clock", json={"speed": 200}).raise_for_status()
    receiver.answers = [500, 201]
    sr.shipped()
    got = receiver.wait_for(3)
    assert [g["answered"] for g in got] == [500, 201, 200]
    assert got[0]["body"] == got[2]["body"]
    delivery = until(
        lambda: [d for d in HTTP.get(f"{sr.admin}/webhooks/deliveries").json()["deliveries"] if d["delivered"]]
    )[-1]
    assert [a["status"] for a in delivery["attempts"]] == [500, 201, 200] and delivery["delivered"] is True


def test_disabled_webhook_sends_nothing(sr: Shiprocket, receiver: Receiver) -> None:
    sr.admin_post("/webhook-config", {"enabled": False}).raise_for_status()
    order = sr.shipped()
    sr.advance(order["awb"], status="PICKED UP").raise_for_status()
    sr.admin_post("/webhook-config", {"enabled": True}).raise_for_status()
    sr.advance(order["awb"], status="IN TRANSIT").raise_for_status()
    got = receiver.wait_for(1)
    assert [g["body"]["current_status"] for g in got] == ["IN TRANSIT"]


def test_a_second_merchant_gets_its_own_pushes(sr: Shiprocket, receiver: Receiver) -> None:
    with Receiver().running() as theirs:
        creds = HTTP.post(
            f"{sr.admin}/accounts", json={"account": "acme", "webhook_url": theirs.url, "webhook_token": "acme-tok"}
        ).json()
        other = Shiprocket(sr.info, creds["email"], creds["password"])
        order = other.shipped()
        got = theirs.wait_for(1)[0]
        assert got["headers"]["x-api-key"] == "acme-tok" and got["body"]["awb"] == order["awb"]
        emitted = HTTP.post(f"{sr.admin}/webhooks/emit", json={"awb": order["awb"]}).json()
        assert emitted["delivered"] is True and len(theirs.wait_for(2)) == 2
    assert receiver.received == []
    bad = HTTP.post(f"{sr.admin}/accounts", json={"account": "x", "webhook_url": "http://127.0.0.1/kr"})
    assert bad.status_code == 422
