"""The Magento 2 / Adobe Commerce REST V1 simulator: one listener, one Magento installation per merchant.

Demo merchant "Demo Traders" (account ``demo``, store code ``default``, INR) is served at the root
(``{url}/rest/...``) and at ``{url}/store/demo/rest/...``; every other merchant account at
``{url}/store/<account>/rest/...``. A token only works on its own merchant's URL.
"""

from __future__ import annotations

import inspect
import re
import secrets
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from sandbox.kit import SandboxError, Simulator, admin_json, set_account
from sandbox.magento import api_catalog, api_sales, checkout, errors, listing, sales, seed
from sandbox.magento import formats as fmt
from sandbox.magento.auth import Authenticator
from sandbox.magento.routing import Call, MagentoJSON, Router, query_pairs, split_path
from sandbox.magento.state import Integration, Store
from sandbox.ports import DEFAULT_PORTS

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class MagentoSimulator(Simulator):
    name = "magento"
    title = "Magento 2 / Adobe Commerce REST V1"
    listeners = DEFAULT_PORTS["magento"]

    # ----------------------------------------------------------------- state
    def render_error(self, exc: SandboxError) -> Response:
        """Errors raised anywhere come out as PHP writes JSON, like every other Magento answer."""
        if exc.text is not None:
            return super().render_error(exc)
        return MagentoJSON(exc.body, status_code=exc.status, headers=exc.headers)

    def reset_state(self) -> None:
        self.stores: dict[str, Store] = {}
        self.auth = Authenticator(self.clock, self.tokens)
        self.router = Router(api_sales.ENDPOINTS + api_catalog.ENDPOINTS)

    def seed_demo(self) -> None:
        self.stores[seed.DEMO_ACCOUNT] = seed.demo_store(self.clock.now())

    def _store(self, account: str | None) -> Store:
        key = account or seed.DEMO_ACCOUNT
        store = self.stores.get(key)
        if store is None:
            raise SandboxError(404, {"error": f"unknown account {key!r}; known: {', '.join(self.stores)}"})
        return store

    def base_url(self, account: str) -> str:
        root = self.url("api")
        return root if account == seed.DEMO_ACCOUNT else f"{root}/store/{account}"

    # ----------------------------------------------------------------- HTTP
    def routes(self) -> list[BaseRoute]:
        return [Route("/{path:path}", self._dispatch, methods=ALL_METHODS)]

    def account_hint(self, scope: Scope) -> str | None:
        raw = scope.get("raw_path") or scope.get("path", "").encode()
        target = split_path(raw.decode("latin-1"), seed.DEMO_ACCOUNT)
        return target.account if target else None

    async def _dispatch(self, request: Request) -> Response:
        raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        target = split_path(raw_path.split("?")[0], seed.DEMO_ACCOUNT)
        if target is None or target.account not in self.stores:
            raise errors.magento_error(404, errors.NO_ROUTE)
        store = self.stores[target.account]
        set_account(request, store.account)
        endpoint, params = self.router.resolve(request.method, target.segments)
        # OAuth 1.0a signs the URL as the client sent it, so keep its percent-encoding
        signed_url = f"{request.url.scheme}://{request.url.netloc}{raw_path.split('?')[0]}"
        if request.url.query:
            signed_url += f"?{request.url.query}"
        principal = self.auth.principal(store, request.headers.get("authorization"), request.method, signed_url)
        if endpoint.resource is not None and (principal is None or not principal.allows(endpoint.resource)):
            raise errors.not_authorized(endpoint.resource)
        call = Call(
            request=request,
            store=store,
            principal=principal,
            params=params,
            query=query_pairs(request),
            raw_body=await request.body(),
            now=self.clock.now(),
            store_code=target.store_code,
            auth=self.auth,
        )
        result = endpoint.handler(call)
        if inspect.isawaitable(result):
            result = await result
        fields = request.query_params.get("fields")
        if fields:
            result = listing.apply_fields(result, listing.parse_fields(fields))
        return MagentoJSON(result)

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        if status == 404:
            return MagentoJSON(errors.body(errors.NO_ROUTE), status_code=404)
        if status == 405:
            return MagentoJSON(errors.body(errors.METHOD_INVALID), status_code=405)
        if status == 500:
            return MagentoJSON(errors.internal_error(), status_code=500)
        return MagentoJSON(errors.body(message), status_code=status)

    # ----------------------------------------------------------------- admin hooks
    def seed(self, params: dict[str, Any]) -> dict[str, Any]:
        store = self._store(params.get("account"))
        now = self.clock.now()
        try:
            count = int(params.get("orders", 50))
            start = (
                fmt.parse_ts(params["from"]) if params.get("from") else now.replace(microsecond=0) - timedelta(days=30)
            )
            end = fmt.parse_ts(params["to"]) if params.get("to") else now
        except (TypeError, ValueError) as exc:
            raise SandboxError(400, {"error": f"bad seed parameters: {exc}"}) from exc
        if count < 0 or count > 20000 or end < start:
            raise SandboxError(400, {"error": "orders must be 0..20000 and from <= to"})
        try:
            placed = seed.seed_orders(store, now, count, start, end, int(params.get("seed", count)))
        except ValueError as exc:
            raise SandboxError(400, {"error": str(exc)}) from exc
        return {
            "account": store.account,
            "created": len(placed),
            "entity_ids": [o.entity_id for o in placed],
            "increment_ids": [o.increment_id for o in placed],
            "by_status": dict(Counter(o.status for o in placed)),
            "from": fmt.ts(start),
            "to": fmt.ts(end),
        }

    def state(self, account: str | None) -> dict[str, Any]:
        if account:
            store = self._store(account)
            return {
                "account": store.account,
                "name": store.name,
                "settings": vars(store.settings),
                "orders": [
                    {
                        "entity_id": o.entity_id,
                        "increment_id": o.increment_id,
                        "state": o.state,
                        "status": o.status,
                        "payment_method": o.payment.method,
                        "grand_total": float(o.grand_total),
                        "created_at": fmt.ts(o.created_at),
                        "updated_at": fmt.ts(o.updated_at),
                    }
                    for o in store.orders.values()
                ],
                "stock": {s.sku: float(s.qty) for s in store.stock.values()},
                "invoices": len(store.invoices),
                "shipments": len(store.shipments),
                "creditmemos": len(store.creditmemos),
            }
        return {
            "accounts": {
                a: {
                    "orders": len(s.orders),
                    "orders_by_status": dict(Counter(o.status for o in s.orders.values())),
                    "products": len(s.products),
                }
                for a, s in self.stores.items()
            }
        }

    def accounts(self) -> list[dict[str, Any]]:
        out = []
        for store in self.stores.values():
            admin = next(iter(store.admins.values()))
            out.append(
                {
                    "account": store.account,
                    "name": store.name,
                    "store_code": store.store_code,
                    "base_url": self.base_url(store.account),
                    "rest_url": f"{self.base_url(store.account)}/rest/{store.store_code}/V1",
                    "username": admin.username,
                    "password": admin.password,
                    "integration_token": store.integrations[0].access_token,
                }
            )
        return out

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        n = len(self.stores) + 1
        account = str(params.get("account") or f"store-{n}")
        while account in self.stores and not params.get("account"):
            n += 1
            account = f"store-{n}"
        if not ACCOUNT_ID.match(account):
            raise SandboxError(400, {"error": "account must match [a-z0-9][a-z0-9_-]{0,39}"})
        if account in self.stores:
            raise SandboxError(409, {"error": f"account {account!r} exists"})
        token = str(params.get("integration_token") or f"{account.replace('-', '0')}0{self.tokens_seed()}")
        store = seed.new_store(
            account,
            str(params.get("name") or f"Merchant {account}"),
            str(params.get("username") or "admin"),
            str(params.get("password") or f"{account}-Pass-123!"),
            token,
            prefix=str(params.get("increment_prefix", "")),
        )
        if params.get("catalog", True):
            seed.add_catalog(store, self.clock.now())
        self.stores[account] = store
        return next(a for a in self.accounts() if a["account"] == account)

    def tokens_seed(self) -> str:
        return secrets.token_hex(12)

    def info(self) -> dict[str, Any]:
        url = self.url("api")
        return {
            "base_url": url,
            "rest_url": f"{url}/rest/default/V1",
            "admin_url": self.admin_url(),
            "account_base_url": f"{url}/store/<account>",
            "demo": {
                "account": seed.DEMO_ACCOUNT,
                "store_name": "Demo Traders",
                "username": seed.DEMO_USERNAME,
                "password": seed.DEMO_PASSWORD,
                "integration_token": seed.DEMO_INTEGRATION_TOKEN,
                "store_code": "default",
                "base_currency": "INR",
            },
        }

    # ----------------------------------------------------------------- provider admin routes
    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/orders", self._admin_create_order, methods=["POST"]),
            Route("/orders/{entity_id:int}", self._admin_modify_order, methods=["POST"]),
            Route("/settings", self._admin_settings, methods=["GET", "POST"]),
            Route("/integrations", self._admin_integrations, methods=["GET", "POST"]),
        ]

    async def _admin_create_order(self, request: Request) -> Response:
        body = await admin_json(request)
        store = self._store(body.get("account"))
        now = self.clock.now()
        try:
            at = fmt.parse_ts(body["created_at"]) if body.get("created_at") else now
            base = seed.CUSTOMERS[int(body.get("customer_index", len(store.orders))) % len(seed.CUSTOMERS)]
            customer = checkout.customer_from(body.get("customer") or {}, base)
            raw_items = body.get("items") or [{"sku": "DT-TEA-ASSAM-500G", "qty": 1}]
            lines = [(str(i["sku"]), Decimal(str(i.get("qty", 1)))) for i in raw_items]
            order = checkout.place(
                store,
                at,
                customer,
                lines,
                payment_method=str(body.get("payment_method", "cashondelivery")),
                shipping_method=str(body.get("shipping_method", "flatrate_flatrate")),
                pending_payment=bool(body.get("pending_payment", False)),
                discount=Decimal(str(body.get("discount", 0))),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise SandboxError(400, {"error": f"bad order: {exc}"}) from exc
        return JSONResponse(fmt.order(order, store), status_code=201)

    async def _admin_modify_order(self, request: Request) -> Response:
        body = await admin_json(request)
        store = self._store(body.get("account"))
        order = store.orders.get(request.path_params["entity_id"])
        if order is None:
            raise SandboxError(404, {"error": "no such order (use entity_id)"})
        now = fmt.parse_ts(body["at"]) if body.get("at") else self.clock.now()
        action = body.get("action", "touch")
        try:
            if action == "touch":
                sales.touch(order, now)
            elif action in ("status", "comment", "acknowledge"):
                status = body.get("status") or ("processing" if action == "acknowledge" else None)
                sales.comment(store, order, now, {"comment": body.get("comment"), "status": status})
            elif action == "state":
                sales.set_state(order, str(body["state"]), now, body.get("status"))
            elif action == "invoice":
                sales.invoice(store, order, now, None, capture=bool(body.get("capture", False)), comment=None)
            elif action == "ship":
                track = {
                    "track_number": body.get("track_number", "SBX000001"),
                    "carrier_code": body.get("carrier_code", "custom"),
                    "title": body.get("title", "Delhivery"),
                }
                sales.ship(store, order, now, None, tracks=[track], comment=None)
            elif action == "cancel":
                if not sales.cancel(store, order, now):
                    raise SandboxError(409, {"error": "order cannot be canceled in its state"})
            elif action == "hold":
                sales.hold(order, now)
            elif action == "unhold":
                sales.unhold(order, now)
            else:
                raise SandboxError(
                    400,
                    {
                        "error": "action must be touch, status, comment, acknowledge, state, invoice, ship, "
                        "cancel, hold or unhold"
                    },
                )
        except SandboxError as exc:
            if isinstance(exc.body, dict) and "message" in exc.body:
                raise SandboxError(409, {"error": exc.body["message"]}) from exc
            raise
        except (KeyError, ValueError) as exc:
            raise SandboxError(400, {"error": f"bad modification: {exc}"}) from exc
        return JSONResponse(fmt.order(order, store))

    async def _admin_settings(self, request: Request) -> Response:
        if request.method == "GET":
            store = self._store(request.query_params.get("account"))
            return JSONResponse({"account": store.account, "settings": vars(store.settings)})
        body = await admin_json(request)
        store = self._store(body.pop("account", None))
        try:
            store.settings.update(body)
        except ValueError as exc:
            raise SandboxError(400, {"error": str(exc)}) from exc
        return JSONResponse({"account": store.account, "settings": vars(store.settings)})

    async def _admin_integrations(self, request: Request) -> Response:
        if request.method == "GET":
            store = self._store(request.query_params.get("account"))
            return JSONResponse({"integrations": [_integration(i) for i in store.integrations]})
        body = await admin_json(request)
        store = self._store(body.get("account"))
        resources = body.get("resources")
        if resources is not None and not (isinstance(resources, list) and all(isinstance(r, str) for r in resources)):
            raise SandboxError(400, {"error": "resources must be a list of ACL resource ids, or null for all"})
        token = self.tokens_seed() + self.tokens_seed()[:8]
        integration = Integration(
            name=str(body.get("name") or f"Integration {len(store.integrations) + 1}"),
            access_token=token,
            resources=None if resources is None else tuple(resources),
            consumer_key=f"ck{self.tokens_seed()}",
            consumer_secret=f"cs{self.tokens_seed()}",
            token_secret=f"ts{self.tokens_seed()}",
            id=len(store.integrations) + 1,
        )
        store.integrations.append(integration)
        return JSONResponse(_integration(integration), status_code=201)


def _integration(i: Integration) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "access_token": i.access_token,
        "access_token_secret": i.token_secret,
        "consumer_key": i.consumer_key,
        "consumer_secret": i.consumer_secret,
        "resources": None if i.resources is None else list(i.resources),
    }
