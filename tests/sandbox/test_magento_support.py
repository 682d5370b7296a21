"""Shared helpers for the Magento sandbox contract tests (imported by test_magento_*.py; no tests here)."""

from __future__ import annotations

from typing import Any

import httpx

NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
ALL = {"searchCriteria": ""}


class Api:
    """The demo store's REST API with its integration token, plus the admin surface."""

    def __init__(self, info: dict[str, Any], http: httpx.Client) -> None:
        self.info = info
        self.http = http
        self.base = info["base_url"]
        self.rest = info["rest_url"]
        self.admin = info["admin_url"]
        self.headers = {"Authorization": f"Bearer {info['demo']['integration_token']}"}

    def get(self, path: str, params: Any = None) -> httpx.Response:
        return self.http.get(self.rest + path, params=params, headers=self.headers)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.rest + path, json=body, headers=self.headers, **kwargs)

    def put(self, path: str, body: Any = None) -> httpx.Response:
        return self.http.put(self.rest + path, json=body, headers=self.headers)

    def order(self, entity_id: int) -> dict[str, Any]:
        r = self.get(f"/orders/{entity_id}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    def new_order(self, **spec: Any) -> dict[str, Any]:
        r = self.http.post(f"{self.admin}/orders", json=spec)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()
        return data

    def advance(self, seconds: float) -> None:
        self.http.post(f"{self.admin}/clock", json={"advance_seconds": seconds}).raise_for_status()

    def fault(self, **rule: Any) -> None:
        self.http.post(f"{self.admin}/faults", json=rule).raise_for_status()


def search(*filters: tuple[int, str, Any, str], **extra: Any) -> dict[str, Any]:
    """searchCriteria query params from (group, field, value, condition_type) tuples."""
    params: dict[str, Any] = {}
    counts: dict[int, int] = {}
    for group, field, value, cond in filters:
        i = counts.get(group, 0)
        counts[group] = i + 1
        base = f"searchCriteria[filter_groups][{group}][filters][{i}]"
        params[f"{base}[field]"] = field
        params[f"{base}[value]"] = value
        params[f"{base}[condition_type]"] = cond
    for key, value in extra.items():
        params[f"searchCriteria[{key}]"] = value
    return params or dict(ALL)
