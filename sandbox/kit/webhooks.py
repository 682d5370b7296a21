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
    """Posts events and retries failures after ``retry_delays`` (sandbox seconds)."""

    def __init__(self, clock: Clock, retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)) -> None:
        self.clock = clock
        self.retry_delays = retry_delays
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

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
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.request(
                    method, delivery.url, content=delivery.body.encode(), headers=delivery.headers
                )
            attempt["status"] = response.status_code
            attempt["response"] = response.text[:2000]
            # Providers treat only 2xx (Shiprocket: only 200) as delivered.
            delivery.delivered = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
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
