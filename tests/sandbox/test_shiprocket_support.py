"""Helpers shared by the Shiprocket sandbox contract tests (this module holds no tests).

The simulator runs as a real process (``sandboxes`` fixture in ``tests/conftest.py``); everything here
speaks plain HTTP to it, plus a tiny webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HTTP = httpx.Client(timeout=10)


def order_payload(order_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "order_date": "2026-11-20 11:11",
        "pickup_location": "Primary",
        "billing_customer_name": "Naina",
        "billing_last_name": "Kapoor",
        "billing_address": "House 221B, Lajpat Nagar",
        "billing_city": "New Delhi",
        "billing_pincode": "110024",
        "billing_state": "Delhi",
        "billing_country": "India",
        "billing_email": "naina@example.in",
        "billing_phone": "9810012345",
        "shipping_is_billing": True,
        "order_items": [{"name": "Kurta", "sku": "KUR-1", "units": 2, "selling_price": "450", "tax": 5}],
        "payment_method": "Prepaid",
        "shipping_charges": 50,
        "sub_total": 900,
        "length": 20,
        "breadth": 15,
        "height": 5,
        "weight": 0.8,
    }
    body.update(overrides)
    return body


class Shiprocket:
    """A logged-in demo merchant (or another account) against a fresh sandbox."""

    def __init__(self, info: dict[str, Any], email: str | None = None, password: str | None = None) -> None:
        self.info = info
        self.base = info["base_url"]
        self.admin = info["admin_url"]
        self.email = email or info["demo"]["email"]
        self.password = password or info["demo"]["password"]
        self.token = self.login()
        self.seq = 0

    def login(self) -> str:
        r = HTTP.post(f"{self.base}/auth/login", json={"email": self.email, "password": self.password})
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return HTTP.get(self.base + path, params=params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return HTTP.post(self.base + path, json=body, headers=self.headers)

    def admin_post(self, path: str, body: Any = None) -> httpx.Response:
        return HTTP.post(self.admin + path, json=body or {})

    def create(self, **overrides: Any) -> dict[str, Any]:
        self.seq += 1
        order_id = overrides.pop("order_id", f"T-{datetime.now(UTC).strftime('%H%M%S%f')}-{self.seq}")
        r = self.post("/orders/create/adhoc", order_payload(order_id, **overrides))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        body["channel_order_id"] = order_id
        return body

    def assign(self, shipment_id: int, courier_id: int | None = None, **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"shipment_id": shipment_id, **extra}
        if courier_id is not None:
            body["courier_id"] = courier_id
        return self.post("/courier/assign/awb", body)

    def shipped(self, **overrides: Any) -> dict[str, Any]:
        """A new order with an AWB and a scheduled pickup; returns ids and the AWB."""
        order = self.create(**overrides)
        r = self.assign(order["shipment_id"])
        assert r.json()["awb_assign_status"] == 1, r.text
        order["awb"] = r.json()["response"]["data"]["awb_code"]
        order["courier_id"] = r.json()["response"]["data"]["courier_company_id"]
        r = self.post("/courier/generate/pickup", {"shipment_id": [order["shipment_id"]]})
        assert r.status_code == 200, r.text
        return order

    def advance(self, awb: str, **body: Any) -> httpx.Response:
        return self.admin_post(f"/shipments/{awb}/advance", body)


def until(check: Callable[[], Any], timeout: float = 10) -> Any:
    """Poll ``check`` until it returns something truthy (the answer), or fail after ``timeout`` seconds."""
    tick = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        tick.wait(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


class Receiver:
    """A webhook receiver on 127.0.0.1 (uvicorn in a thread) that records every delivery."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []
        """Status codes to answer with, in order (then 200)."""
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hooks/tracking"

        async def hook(request: Request) -> Response:
            raw = await request.body()
            status = self.answers.pop(0) if self.answers else 200
            with self._cond:
                self.received.append({"headers": dict(request.headers), "body": json.loads(raw), "answered": status})
                self._cond.notify_all()
            return JSONResponse({"ok": status == 200}, status_code=status)

        app = Starlette(routes=[Route("/hooks/tracking", hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.received) >= count, timeout)
        assert ok, f"expected {count} webhook deliveries, got {len(self.received)}"
        return self.received

    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.received]

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._sock.close()
