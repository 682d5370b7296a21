"""The ShipStation V1 simulator: accounts, kit hooks, webhook publishing and emission.

Demo merchant (fixed): API key ``demo-ss-key``, API secret ``demo-ss-secret`` (account ``demo``), two stores
("Demo Manual Store", marketplace ShipStation; "Demo Shopify Store", marketplace Shopify) and a dozen orders
over the last two weeks, some edited, shipped or cancelled.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from sandbox.kit import SandboxError, Simulator
from sandbox.ports import DEFAULT_PORTS
from sandbox.shipstation import auth, catalog, errors, orders, seed, shipments, webhooks
from sandbox.shipstation.admin import Admin
from sandbox.shipstation.app import Api
from sandbox.shipstation.operations import Operations
from sandbox.shipstation.state import Account, Store
from sandbox.shipstation.webhooks import Notice

log = logging.getLogger("sandbox.shipstation")

DEMO_ACCOUNT = "demo"
DEMO_KEY = "demo-ss-key"
DEMO_SECRET = "demo-ss-secret"
DEMO_STORES: tuple[tuple[str, int], ...] = (("Demo Manual Store", 0), ("Demo Shopify Store", 26))
DEMO_TAGS: tuple[tuple[str, str], ...] = (("Priority", "#FF0000"), ("Gift", "#00AA00"))


class ShipStationSimulator(Simulator):
    name = "shipstation"
    title = "ShipStation API V1"
    listeners = DEFAULT_PORTS["shipstation"]

    # ------------------------------------------------------------------------------ state hooks
    def reset_state(self) -> None:
        self.errors = errors.ErrorStyle()
        self.limiter = auth.RateLimiter(self.clock)
        self.ops = Operations(self.clock, lambda: self.url("api"), self._publish)
        self._accounts: dict[str, Account] = {}
        self._by_key: dict[str, Account] = {}
        self._account_numbers = itertools.count(2)
        self._tasks: set[asyncio.Task[Any]] = set()

    def seed_demo(self) -> None:
        account = self._new_account(DEMO_ACCOUNT, "Demo Merchant", DEMO_KEY, DEMO_SECRET, DEMO_STORES)
        now = self.clock.now()
        plan = seed.Plan(
            count=12,
            start=now - timedelta(days=14),
            end=now - timedelta(minutes=5),
            edits=0.25,
            cancellations=0.1,
            shipped=0.25,
            unicode=True,
            multi_line=True,
            currencies={},
            store_id=None,
            seed=1,
        )
        seed.seed(self.ops, account, plan)
        for order in account.orders.values():
            # Held by hand, without a date: the demo's data never changes by itself whatever the clock says
            # (fixtures reset the state before they reset the clock).
            order.hold_until = None

    def _new_account(
        self, account_id: str, name: str, key: str, secret: str, stores: tuple[tuple[str, int], ...]
    ) -> Account:
        if key in self._by_key:
            raise SandboxError(400, {"error": f"api_key {key!r} is already in use"})
        account = Account(account_id, name, key, secret, next(self.ops.ids.seller))
        now = self.clock.now()
        for store_name, marketplace in stores:
            store = Store(next(self.ops.ids.store), store_name, marketplace, now, email=f"orders@{account_id}.example")
            account.stores[store.store_id] = store
        for tag_name, color in DEMO_TAGS:
            tag_id = next(self.ops.ids.tag)
            account.tags[tag_id] = {"tagId": tag_id, "name": tag_name, "color": color}
        self._accounts[account_id] = account
        self._by_key[key] = account
        return account

    def all_accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def account_by_id(self, account_id: str) -> Account:
        return self._accounts[account_id]

    def _account_param(self, params: dict[str, Any]) -> Account:
        account_id = str(params.get("account") or DEMO_ACCOUNT)
        account = self._accounts.get(account_id)
        if account is None:
            raise SandboxError(404, {"error": f"no account {account_id!r}"})
        return account

    def authenticate(self, header: str | None) -> Account | None:
        creds = auth.basic_credentials(header)
        if creds is None:
            return None
        account = self._by_key.get(creds[0])
        if account is None or not hmac.compare_digest(account.api_secret.encode(), creds[1].encode()):
            return None
        return account

    def account_hint(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                account = self.authenticate(value.decode("latin-1"))
                return account.id if account else None
        return None

    # ------------------------------------------------------------------------------- HTTP hooks
    def routes(self) -> list[BaseRoute]:
        return Api(self).routes()

    def admin_routes(self) -> list[BaseRoute]:
        return Admin(self).routes()

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        headers: dict[str, str] = {}
        if status == 404:
            uri = str(request.url) if request is not None else ""
            body = self.errors.message(f"No HTTP resource was found that matches the request URI '{uri}'.")
        elif status == 405:
            method = request.method if request is not None else ""
            body = self.errors.message(f"The requested resource does not support http method '{method}'.")
        elif status == 429:
            body = self.errors.message(errors.TOO_MANY)
            account = self.authenticate(request.headers.get("authorization")) if request is not None else None
            if account is not None:
                peek = self.limiter.peek(account.api_key + ":" + account.api_secret)
                headers = auth.headers(peek.__class__(False, peek.limit, 0, peek.reset_after))
        elif status == 500:
            body = self.errors.message(errors.OCCURRED)
        else:
            body = self.errors.message(message)
        return JSONResponse(body, status_code=status, headers=headers)

    def info(self) -> dict[str, Any]:
        demo = self._accounts.get(DEMO_ACCOUNT)
        return {
            "base_url": self.url("api"),
            "admin_url": self.admin_url(),
            "demo": {
                "account": DEMO_ACCOUNT,
                "api_key": DEMO_KEY,
                "api_secret": DEMO_SECRET,
                "store_id": next(iter(demo.stores)) if demo else None,
                "store_ids": list(demo.stores) if demo else [],
            },
        }

    # ------------------------------------------------------------------------------ admin hooks
    def seed(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self._account_param(params)
        plan = seed.Plan.parse(params, self.clock.now())
        return seed.seed(self.ops, account, plan)

    def state(self, account: str | None) -> dict[str, Any]:
        chosen = [self._account_param({"account": account})] if account else self.all_accounts()
        out = []
        for a in chosen:
            summary: dict[str, Any] = {
                **a.public(),
                "orders": sum(1 for _ in a.live_orders()),
                "deleted_orders": sum(1 for o in a.orders.values() if not o.active),
                "shipments": len(a.shipments),
                "customers": len(a.customers),
                "webhooks": [webhooks.render(h, a) for h in a.webhooks.values()],
            }
            if account:
                summary["order_list"] = [orders.render(o) for o in a.orders.values()]
                summary["shipment_list"] = [shipments.render(s, False) for s in a.shipments.values()]
            out.append(summary)
        return {
            "accounts": out,
            "error_style": self.errors.style,
            "rate_limit": {"limit": self.limiter.settings.limit, "window": self.limiter.settings.window},
        }

    def accounts(self) -> list[dict[str, Any]]:
        return [a.public() for a in self._accounts.values()]

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        number = next(self._account_numbers)
        account_id = str(params.get("account") or f"merchant-{number}")
        if account_id in self._accounts:
            raise SandboxError(400, {"error": f"account {account_id!r} already exists"})
        raw_stores = params.get("stores")
        if raw_stores is None:
            stores: tuple[tuple[str, int], ...] = (("Manual Store", 0), ("Shopify Store", 26))
        elif isinstance(raw_stores, list) and raw_stores:
            stores = tuple(
                (str(s.get("name") or f"Store {i + 1}"), int(s.get("marketplaceId", 0)))
                for i, s in enumerate(raw_stores)
                if isinstance(s, dict)
            )
        else:
            raise SandboxError(400, {"error": "stores is a non-empty list of {name, marketplaceId}"})
        key = str(params.get("api_key") or f"ss-key-{secrets.token_hex(8)}")
        secret = str(params.get("api_secret") or secrets.token_hex(16))
        account = self._new_account(account_id, str(params.get("name") or account_id), key, secret, stores)
        return account.public()

    # --------------------------------------------------------------------------------- webhooks
    def _publish(self, notices: list[Notice]) -> None:
        """Deliver in the background (the answer to the API call does not wait for the receiver)."""
        if not notices:
            return
        loop = asyncio.get_running_loop()
        for notice in notices:
            task = loop.create_task(self._deliver(notice.url, notice.event, notice.body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, event: str, body: str) -> dict[str, Any]:
        try:
            delivery = await self.webhooks.send(url, body, event=event, headers={"Content-Type": "application/json"})
        except Exception as exc:  # a target the HTTP client cannot even address; nothing to retry
            log.warning("shipstation webhook to %r not sent: %s", url, exc)
            return {"id": None, "url": url, "delivered": False, "attempts": [{"error": str(exc)}]}
        return {"id": delivery.id, "url": url, "delivered": delivery.delivered, "attempts": delivery.attempts}

    async def emit_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """Send deliveries on demand (duplicates and storms for tests).

        ``{"account", "event" (default ORDER_NOTIFY), "url" (default: the account's subscriptions for the
        event), "order_ids" | "shipment_ids" (default: the latest one), "repeat" (default 1), "resource_url"
        (override, e.g. a foreign host)}``. Answers after each delivery's first attempt.
        """
        account = self._account_param(params)
        event = str(params.get("event") or "ORDER_NOTIFY")
        if event not in catalog.WEBHOOK_EVENTS:
            raise SandboxError(400, {"error": f"event must be one of {', '.join(catalog.WEBHOOK_EVENTS)}"})
        repeat = params.get("repeat", 1)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= 1000:
            raise SandboxError(400, {"error": "repeat must be an integer between 1 and 1000"})
        for name in ("url", "resource_url"):
            value = params.get(name)
            if value is not None and not (isinstance(value, str) and value.startswith(("http://", "https://"))):
                raise SandboxError(400, {"error": f"{name} must be an http(s) URL"})
        batch, stores = self._emit_batch(account, event, params)
        if params.get("url"):
            targets = [str(params["url"])]
        else:
            targets = [n.url for n in webhooks.notices(account, self.url("api"), (event,), batch, stores)]
        if not targets:
            raise SandboxError(400, {"error": f"no url given and no {event} subscription matches"})
        url = str(params.get("resource_url") or webhooks.resource_url(self.url("api"), event, batch))
        body = webhooks.payload(url, event)
        results = await asyncio.gather(*(self._deliver(t, event, body) for t in targets for _ in range(repeat)))
        return {"event": event, "resource_url": url, "batch": batch, "deliveries": list(results)}

    def _emit_batch(self, account: Account, event: str, params: dict[str, Any]) -> tuple[str | int, set[int | None]]:
        for name in ("order_ids", "shipment_ids"):
            given = params.get(name)
            if given is not None and (
                not isinstance(given, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in given)
            ):
                raise SandboxError(400, {"error": f"{name} must be a list of integer ids"})
        if event in ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED"):
            ids = params.get("shipment_ids") or ([max(account.shipments)] if account.shipments else [])
            found = [account.shipments[i] for i in ids if i in account.shipments]
            if len(found) != len(ids) or not found:
                raise SandboxError(400, {"error": "shipment_ids must name this account's shipments"})
            return self.ops.ship_batch(account, [s.shipment_id for s in found]), {s.store_id for s in found}
        ids = params.get("order_ids") or ([max(account.orders)] if account.orders else [])
        picked = [account.orders[i] for i in ids if i in account.orders]
        if len(picked) != len(ids) or not picked:
            raise SandboxError(400, {"error": "order_ids must name this account's orders"})
        batch = str(uuid.uuid4())
        account.import_batches[batch] = [o.order_id for o in picked]
        return batch, {o.store_id for o in picked}
