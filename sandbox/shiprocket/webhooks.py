"""Tracking pushes: Shiprocket counts only HTTP 200 as delivered (any other answer is a failure to retry).

The kit's sender (retries, delivery log) treats any 2xx as delivered and opens a client per attempt;
this one insists on 200 and keeps one client, since a lifecycle path sends many pushes in a row.
"""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.kit import WebhookSender
from sandbox.kit.webhooks import Delivery


class StrictSender(WebhookSender):
    _client: httpx.AsyncClient | None = None

    async def _attempt(self, delivery: Delivery, method: str) -> None:
        attempt: dict[str, Any] = {"at": self.clock.now().isoformat()}
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
        try:
            response = await self._client.request(
                method, delivery.url, content=delivery.body.encode(), headers=delivery.headers
            )
            attempt["status"] = response.status_code
            attempt["response"] = response.text[:2000]
            delivery.delivered = response.status_code == 200
        except httpx.HTTPError as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"
        delivery.attempts.append(attempt)

    async def aclose(self) -> None:
        await super().aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
