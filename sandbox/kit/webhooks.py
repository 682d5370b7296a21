"""Outbound webhook deliveries from a simulator to a target URL, with retries and a delivery log."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from sandbox.kit.clock import Clock


@dataclass
class Delivery:
    id: int
    url: str
    event: str
    body: str
    headers: dict[str, str]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


class WebhookSender:
    """Posts events and retries failures after ``retry_delays`` (sandbox seconds).

    ``delivered_statuses``: the answers the provider counts as delivered (any 2xx by default; Shiprocket
    counts only 200). One HTTP client is kept for all deliveries.
    """

    def __init__(
        self,
        clock: Clock,
        retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0),
        delivered_statuses: frozenset[int] | None = None,
    ) -> None:
        self.clock = clock
        self.retry_delays = retry_delays
        self.delivered_statuses = delivered_statuses or frozenset(range(200, 300))
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    async def send(
        self,
        url: str,
        body: bytes | str,
        *,
        event: str,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        wait: bool = True,
        retry: bool = True,
    ) -> Delivery:
        """Deliver now; when ``wait`` is false the first attempt runs in the background too."""
        text = body.decode() if isinstance(body, bytes) else body
        delivery = Delivery(next(self._ids), url, event, text, dict(headers or {}))
        self.deliveries.append(delivery)
        if wait:
            await self._attempt(delivery, method)
            if not delivery.delivered and retry:
                self._spawn(self._retry(delivery, method))
        else:
            self._spawn(self._run(delivery, method, retry))
        return delivery

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, delivery: Delivery, method: str, retry: bool) -> None:
        await self._attempt(delivery, method)
        if not delivery.delivered and retry:
            await self._retry(delivery, method)

    async def _retry(self, delivery: Delivery, method: str) -> None:
        for delay in self.retry_delays:
            await self.clock.sleep(delay)
            await self._attempt(delivery, method)
            if delivery.delivered:
                return

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
            delivery.delivered = response.status_code in self.delivered_statuses
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # a bad target URL is a failed delivery
            attempt["error"] = f"{type(exc).__name__}: {exc}"
        delivery.attempts.append(attempt)

    def snapshot(self) -> list[dict[str, Any]]:
        return [asdict(d) for d in self.deliveries]

    def clear(self) -> None:
        self.deliveries.clear()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
