"""Shared helpers for the Zoho sandbox contract suite (no tests here)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

"""tests/conftest.py leaves the sandbox log file to the garbage collector; its ResourceWarning is not ours."""


@dataclass
class Zoho:
    info: dict[str, Any]

    @property
    def demo(self) -> dict[str, Any]:
        return self.info["demo"]

    @property
    def admin(self) -> str:
        return self.info["admin_url"]

    def dc(self, code: str = "in") -> dict[str, str]:
        return self.info["data_centres"][code]

    def admin_post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        r = httpx.post(f"{self.admin}{path}", json=body or {}, timeout=10)
        assert r.status_code < 300, r.text
        return r.json()

    def refresh(
        self,
        refresh_token: str | None = None,
        dc: str = "in",
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> httpx.Response:
        return httpx.post(
            self.dc(dc)["accounts_url"] + "/oauth/v2/token",
            params={
                "grant_type": "refresh_token",
                "client_id": client_id or self.demo["client_id"],
                "client_secret": client_secret or self.demo["client_secret"],
                "refresh_token": refresh_token or self.demo["refresh_token"],
            },
            timeout=10,
        )

    def access_token(self, **kwargs: Any) -> str:
        r = self.refresh(**kwargs)
        assert r.status_code == 200 and "access_token" in r.json(), r.text
        token: str = r.json()["access_token"]
        return token

    def api(
        self, product: str = "inventory", dc: str = "in", token: str | None = None, organization_id: str | None = None
    ) -> httpx.Client:
        token = token or self.access_token()
        base = self.dc(dc)["inventory_url" if product == "inventory" else "books_url"]
        return httpx.Client(
            base_url=base,
            # A fresh connection per call: the kit's listening sockets lack TCP_NODELAY, so a kept-alive
            # connection waits ~40 ms per request on delayed ACKs (reported to the lead).
            headers={"Authorization": f"Zoho-oauthtoken {token}", "Connection": "close"},
            params={"organization_id": organization_id or self.demo["organization_id"]},
            timeout=10,
        )

    def advance(self, seconds: float) -> None:
        self.admin_post("/clock", {"advance_seconds": seconds})


def _zoho(sandboxes: Any) -> Zoho:
    """The sandbox's info after a reset of state, faults and clock."""
    return Zoho(sandboxes.fresh("zoho"))


def _inventory(zoho: Zoho) -> Iterator[httpx.Client]:
    """An Inventory v1 client of the demo org with a fresh access token."""
    with zoho.api("inventory") as client:
        yield client


def _books(zoho: Zoho) -> Iterator[httpx.Client]:
    """A Books v3 client of the demo org with a fresh access token."""
    with zoho.api("books") as client:
        yield client


@dataclass
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"webhook receiver: condition not met; got {self.received!r}")
                self._cond.wait(remaining)
            return list(self.received)


def _receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (any port) that records what it gets."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            split = urlsplit(self.path)
            rec = state["r"]
            with rec._cond:
                rec.received.append(
                    Received(
                        self.command,
                        split.path,
                        parse_qsl(split.query),
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                rec._cond.notify_all()
            self.send_response(rec.status)
            self.send_header("content-length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/zoho")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()


def expected_signature(secret: str, query: list[tuple[str, str]], body: bytes) -> str:
    message = "".join(f"{k}{v}" for k, v in sorted(query)).encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_sales_order(
    client: httpx.Client, customer_id: str, item_id: str, quantity: int = 2, **extra: Any
) -> dict[str, Any]:
    r = client.post(
        "/salesorders",
        json={"customer_id": customer_id, "line_items": [{"item_id": item_id, "quantity": quantity}], **extra},
    )
    assert r.status_code == 201, r.text
    so: dict[str, Any] = r.json()["salesorder"]
    return so


def first(client: httpx.Client, path: str, key: str, **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()[key]
    assert rows, f"no {key}"
    return rows[0]


def fixtures() -> tuple[Any, Any, Any, Any]:
    """``zoho, inventory, books, receiver = fixtures()`` in a test module makes the fixtures available there."""
    return (
        pytest.fixture(name="zoho")(_zoho),
        pytest.fixture(name="inventory")(_inventory),
        pytest.fixture(name="books")(_books),
        pytest.fixture(name="receiver")(_receiver),
    )
