"""Helpers shared by the Amazon SP-API sandbox contract tests (this module holds no tests).

The simulator runs as a real process (``sandboxes`` fixture in ``tests/conftest.py``); everything here
speaks plain HTTP to it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

INDIA = "A21TJRUUN4KGV"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
DENIED = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]}
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.", "details": ""}
    ]
}


# One client for the whole run (a new client per call costs an SSL context each time), without
# keep-alive: on a kept-alive connection each answer waits ~40 ms for a delayed ACK (Nagle).
HTTP = httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))


class Amazon:
    """A handle on the running Amazon sandbox: LWA, SP-API calls and the admin surface."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.demo: dict[str, Any] = info["demo"]
        self.base: str = info["base_url"]
        self.admin_url: str = info["admin_url"]
        self._token: str | None = None

    def lwa(self, **form: str) -> httpx.Response:
        return HTTP.post(self.info["lwa_url"], data=form)

    def refresh(self, refresh_token: str | None = None, client_id: str | None = None, secret: str | None = None) -> str:
        r = self.lwa(
            grant_type="refresh_token",
            refresh_token=refresh_token or self.demo["refresh_token"],
            client_id=client_id or self.demo["client_id"],
            client_secret=secret or self.demo["client_secret"],
        )
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.refresh()
        return self._token

    def get(
        self, path: str, params: dict[str, Any] | None = None, token: str | None = None, base: str | None = None
    ) -> httpx.Response:
        return HTTP.get((base or self.base) + path, params=params, headers={"x-amz-access-token": token or self.token})

    def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        return HTTP.post(self.base + path, json=body, headers={"x-amz-access-token": token or self.token})

    def orders(self, token: str | None = None, **params: Any) -> httpx.Response:
        params.setdefault("MarketplaceIds", INDIA)
        if "CreatedAfter" not in params and "LastUpdatedAfter" not in params and "NextToken" not in params:
            params["LastUpdatedAfter"] = self.ago(days=30)
        return self.get("/orders/v0/orders", params, token)

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = HTTP.post(self.admin_url + path, json=body or {})
        assert r.status_code < 300, r.text
        data: dict[str, Any] = r.json()
        return data

    def advance(self, seconds: float) -> None:
        self.admin("/clock", {"advance_seconds": seconds})

    def now(self) -> datetime:
        r = HTTP.get(self.admin_url + "/clock")
        return datetime.fromisoformat(r.json()["now"])

    def ago(self, **delta: float) -> str:
        return (self.now() - timedelta(**delta)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def rdt(self, path: str, elements: list[str] | None = None) -> str:
        resource: dict[str, Any] = {"method": "GET", "path": path}
        if elements is not None:
            resource["dataElements"] = elements
        r = self.post("/tokens/2021-03-01/restrictedDataToken", {"restrictedResources": [resource]})
        assert r.status_code == 200, r.text
        token: str = r.json()["restrictedDataToken"]
        return token


def fresh(sandboxes: Any) -> Amazon:
    """The sandbox reset to its demo merchant, with a fresh clock, faults cleared."""
    return Amazon(sandboxes.fresh("amazon"))


def error(r: httpx.Response) -> dict[str, str]:
    body = r.json()
    assert set(body) == {"errors"}, body
    first: dict[str, str] = body["errors"][0]
    assert set(first) == {"code", "message", "details"}, first
    return first
