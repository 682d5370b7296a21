"""The V1 HTTP surface: the auth + rate-limit layer in front of every route, and the route handlers.

Routes (paths as on ssapi.shipstation.com):

    GET    /orders                      GET /orders/{orderId}          DELETE /orders/{orderId}
    GET    /orders/listbytag            POST /orders/createorder       POST /orders/createorders
    POST   /orders/markasshipped        POST /orders/createlabelfororder
    POST   /orders/holduntil            POST /orders/restorefromhold
    POST   /orders/addtag               POST /orders/removetag
    POST   /orders/assignuser           POST /orders/unassignuser
    GET    /shipments                   POST /shipments/createlabel    POST /shipments/voidlabel
    POST   /shipments/getrates          GET /fulfillments
    GET    /customers                   GET /customers/{customerId}
    GET    /stores                      GET /stores/{storeId}
    GET    /accounts/listtags
    GET    /webhooks                    POST /webhooks/subscribe       DELETE /webhooks/{webhookId}
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.kit import ADMIN_PREFIX, SandboxError, set_account
from sandbox.shipstation import auth, catalog, customers, fulfillments, orders, shipments, webhooks
from sandbox.shipstation.errors import TOO_MANY, UNAUTHORIZED, ErrorStyle
from sandbox.shipstation.formats import BadValue, money, pacific
from sandbox.shipstation.operations import Missing, Operations, Refused
from sandbox.shipstation.orders import Invalid, OrderFilter
from sandbox.shipstation.query import Query
from sandbox.shipstation.state import Account, Store

if TYPE_CHECKING:
    from sandbox.shipstation.simulator import ShipStationSimulator

Handler = Callable[[Request, Account], Awaitable[Response]]


class ApiLayer:
    """Authenticates (Basic key:secret), counts the request against the key pair's window, and adds the
    ``X-Rate-Limit-*`` headers to whatever the routes answer (including 404/405 for unknown routes)."""

    def __init__(self, sim: ShipStationSimulator, app: Router) -> None:
        self.sim = sim
        self.app: ASGIApp = app
        self.routes = app.routes  # so Mount(...).routes lists the provider routes (docs, route checks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX):  # an unknown admin path: the kit's own 404
            raise HTTPException(404, "no such admin route")
        request = Request(scope, receive)
        account = self.sim.authenticate(request.headers.get("authorization"))
        if account is None:
            await JSONResponse(self.sim.errors.message(UNAUTHORIZED), status_code=401)(scope, receive, send)
            return
        set_account(request, account.id)
        scope["state"]["shipstation_account"] = account.id
        decision = self.sim.limiter.hit(account.api_key + ":" + account.api_secret)
        extra = [(k.lower().encode(), v.encode()) for k, v in auth.headers(decision).items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if not decision.allowed:
            await JSONResponse(self.sim.errors.message(TOO_MANY), status_code=429)(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except HTTPException as exc:
            response = self.sim.error_response(request, exc.status_code, str(exc.detail))
            await response(scope, receive, send_with_headers)


class Api:
    """The route handlers; state lives on the simulator."""

    def __init__(self, sim: ShipStationSimulator) -> None:
        self.sim = sim

    # The simulator replaces these on reset, so always read them through it.
    @property
    def ops(self) -> Operations:
        return self.sim.ops

    @property
    def errors(self) -> ErrorStyle:
        return self.sim.errors

    def routes(self) -> list[BaseRoute]:
        r = self._route
        inner = Router(
            routes=[
                r("/orders", self.list_orders, "GET"),
                r("/orders/listbytag", self.list_by_tag, "GET"),
                r("/orders/{orderId:int}", self.get_order, "GET"),
                r("/orders/{orderId:int}", self.delete_order, "DELETE"),
                r("/orders/createorder", self.create_order, "POST"),
                r("/orders/createorders", self.create_orders, "POST"),
                r("/orders/markasshipped", self.mark_shipped, "POST"),
                r("/orders/createlabelfororder", self.label_for_order, "POST"),
                r("/orders/holduntil", self.hold, "POST"),
                r("/orders/restorefromhold", self.restore, "POST"),
                r("/orders/addtag", self.add_tag, "POST"),
                r("/orders/removetag", self.remove_tag, "POST"),
                r("/orders/assignuser", self.assign_user, "POST"),
                r("/orders/unassignuser", self.unassign_user, "POST"),
                r("/shipments", self.list_shipments, "GET"),
                r("/shipments/createlabel", self.create_label, "POST"),
                r("/shipments/voidlabel", self.void_label, "POST"),
                r("/shipments/getrates", self.get_rates, "POST"),
                r("/fulfillments", self.list_fulfillments, "GET"),
                r("/customers", self.list_customers, "GET"),
                r("/customers/{customerId:int}", self.get_customer, "GET"),
                r("/stores", self.list_stores, "GET"),
                r("/stores/{storeId:int}", self.get_store, "GET"),
                r("/accounts/listtags", self.list_tags, "GET"),
                r("/webhooks", self.list_webhooks, "GET"),
                r("/webhooks/subscribe", self.subscribe, "POST"),
                r("/webhooks/{webhookId:int}", self.unsubscribe, "DELETE"),
            ]
        )
        return [Mount("", app=ApiLayer(self.sim, inner))]

    def _route(self, path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            account = self.sim.account_by_id(request.scope["state"]["shipstation_account"])
            self.ops.release_holds(account)
            try:
                return await handler(request, account)
            except Invalid as exc:
                raise self.errors.bad_field(_model_key(request.url.path, exc.field), exc.reason) from None
            except Refused as exc:
                raise self.errors.failed(exc.status, exc.message) from None
            except Missing as exc:
                raise self.errors.not_found(str(exc)) from None
            except BadValue as exc:  # a value no more specific check caught: still the binder's 400
                raise self.errors.bad_field("request", f"The value '{exc}' is not valid.") from None

        return Route(path, endpoint, methods=[method])

    async def _body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise self.errors.bad_field("", f"Unexpected character encountered while parsing value: {exc}") from None

    def _query(self, request: Request) -> Query:
        return Query(request.query_params, self.errors)

    # ------------------------------------------------------------------------------------ orders
    async def list_orders(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        wanted = OrderFilter.parse(q, account.import_batches)
        sort, page = q.sort(catalog.ORDER_SORT), q.page()
        rows = sort.apply([o for o in account.live_orders() if wanted.matches(o)], orders.sort_value, _order_id)
        chunk, total, pages = page.slice(rows)
        return JSONResponse(page.envelope("orders", [orders.render(o) for o in chunk], total, pages))

    async def list_by_tag(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        tag_id = q.integer("tagId")
        if tag_id is None:
            raise self.errors.bad_field("tagId", "The tagId field is required.")
        status = q.choice("orderStatus", catalog.ORDER_STATUSES)
        if status is None:
            raise self.errors.bad_field("orderStatus", "The orderStatus field is required.")
        page = q.page()
        rows = [o for o in account.live_orders() if tag_id in o.tag_ids and o.status == status]
        chunk, total, pages = page.slice(sorted(rows, key=_order_id))
        return JSONResponse(page.envelope("orders", [orders.render(o) for o in chunk], total, pages))

    async def get_order(self, request: Request, account: Account) -> Response:
        order = self.ops.order(account, request.path_params["orderId"])
        return JSONResponse(orders.render(order))

    async def delete_order(self, request: Request, account: Account) -> Response:
        self.ops.delete(account, request.path_params["orderId"])
        return JSONResponse({"success": True, "message": "The requested order has been deleted."})

    async def create_order(self, request: Request, account: Account) -> Response:
        order, _ = self.ops.upsert(account, await self._body(request))
        return JSONResponse(orders.render(order))

    async def create_orders(self, request: Request, account: Account) -> Response:
        body = await self._body(request)
        if not isinstance(body, list):
            raise self.errors.bad_field("apiOrders", "The request body must be a JSON array of orders.")
        if len(body) > catalog.MAX_BULK_ORDERS:
            raise self.errors.bad_field("apiOrders", "The maximum number of orders per request is 100.")
        results, created = [], []
        for entry in body:
            given = entry if isinstance(entry, dict) else {}
            try:
                order, is_new = self.ops.upsert(account, entry, import_now=False)
            except (Invalid, Refused) as exc:
                results.append(
                    {
                        "orderId": 0,
                        "orderNumber": given.get("orderNumber"),
                        "orderKey": given.get("orderKey"),
                        "success": False,
                        "errorMessage": str(exc),
                    }
                )
                continue
            if is_new:
                created.append(order)
            results.append(
                {
                    "orderId": order.order_id,
                    "orderNumber": order.order_number,
                    "orderKey": order.order_key,
                    "success": True,
                    "errorMessage": None,
                }
            )
        if created:
            self.ops.imported(account, created)
        return JSONResponse({"hasErrors": any(not r["success"] for r in results), "results": results})

    async def mark_shipped(self, request: Request, account: Account) -> Response:
        shipment = self.ops.mark_shipped(account, await self._body(request))
        return JSONResponse({"orderId": shipment.order_id, "orderNumber": shipment.order_number})

    async def label_for_order(self, request: Request, account: Account) -> Response:
        shipment = self.ops.label_for_order(account, await self._body(request))
        return JSONResponse(shipments.label_answer(shipment))

    async def hold(self, request: Request, account: Account) -> Response:
        self.ops.hold(account, await self._body(request))
        return JSONResponse({"success": True, "message": "Order held successfully."})

    async def restore(self, request: Request, account: Account) -> Response:
        self.ops.restore(account, await self._body(request))
        return JSONResponse({"success": True, "message": "Order restored successfully."})

    async def add_tag(self, request: Request, account: Account) -> Response:
        self.ops.tag(account, await self._body(request), add=True)
        return JSONResponse({"success": True, "message": "Tag added successfully."})

    async def remove_tag(self, request: Request, account: Account) -> Response:
        self.ops.tag(account, await self._body(request), add=False)
        return JSONResponse({"success": True, "message": "Tag removed successfully."})

    async def assign_user(self, request: Request, account: Account) -> Response:
        body = await self._body(request)
        user = body.get("userId") if isinstance(body, dict) else None
        if not user:
            raise self.errors.bad_field("userId", "The userId field is required.")
        self.ops.assign(account, body, str(user))
        return JSONResponse({"success": True, "message": "User assigned successfully."})

    async def unassign_user(self, request: Request, account: Account) -> Response:
        self.ops.assign(account, await self._body(request), None)
        return JSONResponse({"success": True, "message": "User unassigned successfully."})

    # --------------------------------------------------------------------------------- shipments
    async def list_shipments(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        wanted = shipments.ShipmentFilter.parse(q, account.ship_batches)
        with_items = bool(q.boolean("includeShipmentItems"))
        sort, page = q.sort(catalog.SHIPMENT_SORT), q.page()
        rows = sort.apply(
            [s for s in account.shipments.values() if wanted.matches(s)], shipments.sort_value, _shipment_id
        )
        chunk, total, pages = page.slice(rows)
        return JSONResponse(page.envelope("shipments", [shipments.render(s, with_items) for s in chunk], total, pages))

    async def create_label(self, request: Request, account: Account) -> Response:
        shipment = self.ops.label(account, await self._body(request))
        return JSONResponse(shipments.label_answer(shipment))

    async def void_label(self, request: Request, account: Account) -> Response:
        body = await self._body(request)
        shipment_id = self.ops._id(body, "shipmentId")
        self.ops.void(account, self.ops.shipment(account, shipment_id))
        return JSONResponse({"approved": True, "message": "Label voided successfully"})

    async def get_rates(self, request: Request, account: Account) -> Response:
        body = await self._body(request)
        if not isinstance(body, dict) or not body.get("carrierCode"):
            raise self.errors.bad_field("carrierCode", "The carrierCode field is required.")
        carrier = str(body["carrierCode"])
        if carrier not in catalog.CARRIERS:
            raise self.errors.failed(400, f"Invalid carrierCode: {carrier}.")
        weight = orders.weight(body.get("weight"), "weight") or {"value": 0.0, "units": "ounces"}
        ounces = float(weight["value"]) * {"pounds": 16.0, "grams": 1 / 28.3495}.get(weight["units"], 1.0)
        wanted = body.get("serviceCode")
        return JSONResponse(
            [
                {
                    "serviceName": code.replace("_", " ").title(),
                    "serviceCode": code,
                    "shipmentCost": money(shipments.rate(code, ounces)),
                    "otherCost": 0.0,
                }
                for code in catalog.CARRIERS[carrier]
                if wanted in (None, "", code)
            ]
        )

    async def list_fulfillments(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        wanted = fulfillments.FulfillmentFilter.parse(q)
        sort, page = q.sort(catalog.SHIPMENT_SORT), q.page()
        rows = sort.apply(
            [s for s in account.shipments.values() if wanted.matches(s)], shipments.sort_value, _shipment_id
        )
        chunk, total, pages = page.slice(rows)
        return JSONResponse(page.envelope("fulfillments", [fulfillments.render(s) for s in chunk], total, pages))

    # --------------------------------------------------------------------------------- customers
    async def list_customers(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        wanted = customers.CustomerFilter.parse(q)
        sort, page = q.sort(catalog.CUSTOMER_SORT), q.page()
        rows = sort.apply(
            [c for c in account.customers.values() if wanted.matches(c)],
            customers.sort_value,
            lambda c: c.customer_id,
        )
        chunk, total, pages = page.slice(rows)
        body = page.envelope("customers", [customers.render(c, account) for c in chunk], total, pages)
        return JSONResponse(body)

    async def get_customer(self, request: Request, account: Account) -> Response:
        customer = account.customers.get(request.path_params["customerId"])
        if customer is None:
            raise self.errors.not_found(f"Customer {request.path_params['customerId']} not found.")
        return JSONResponse(customers.render(customer, account))

    # ------------------------------------------------------------------------------------ stores
    async def list_stores(self, request: Request, account: Account) -> Response:
        q = self._query(request)
        inactive = bool(q.boolean("showInactive"))
        marketplace = q.integer("marketplaceId")
        rows = [
            s
            for s in account.stores.values()
            if (inactive or s.active) and (marketplace is None or s.marketplace_id == marketplace)
        ]
        return JSONResponse([render_store(s, account) for s in rows])

    async def get_store(self, request: Request, account: Account) -> Response:
        store = account.stores.get(request.path_params["storeId"])
        if store is None:
            raise self.errors.not_found(f"Store {request.path_params['storeId']} not found.")
        return JSONResponse(render_store(store, account))

    async def list_tags(self, request: Request, account: Account) -> Response:
        return JSONResponse([dict(t) for t in account.tags.values()])

    # ---------------------------------------------------------------------------------- webhooks
    async def list_webhooks(self, request: Request, account: Account) -> Response:
        return JSONResponse({"webhooks": [webhooks.render(h, account) for h in account.webhooks.values()]})

    async def subscribe(self, request: Request, account: Account) -> Response:
        try:
            hook = webhooks.subscribe(account, self.ops.ids, await self._body(request))
        except webhooks.SubscribeInvalid as exc:
            raise self.errors.bad_field(exc.field, exc.reason) from None
        # Older docs and most clients read {"id": n}; the current OpenAPI shows WebHookID/HookType/Url/Name.
        # Both are given so either kind of client finds what it reads.
        return JSONResponse(
            {
                "id": hook.webhook_id,
                "WebHookID": hook.webhook_id,
                "HookType": hook.event,
                "Url": hook.url,
                "Name": hook.name,
            }
        )

    async def unsubscribe(self, request: Request, account: Account) -> Response:
        hook = account.webhooks.pop(request.path_params["webhookId"], None)
        if hook is None:
            raise self.errors.not_found(f"Webhook {request.path_params['webhookId']} not found.")
        return Response(status_code=200)


def render_store(store: Store, account: Account) -> dict[str, Any]:
    return {
        "storeId": store.store_id,
        "storeName": store.name,
        "marketplaceId": store.marketplace_id,
        "marketplaceName": catalog.MARKETPLACES.get(store.marketplace_id, "ShipStation"),
        "accountName": None,
        "email": store.email,
        "integrationUrl": None,
        "active": store.active,
        "companyName": account.name,
        "phone": "",
        "publicEmail": store.email or "",
        "website": "",
        "refreshDate": pacific(store.create_date),
        "lastRefreshAttempt": pacific(store.create_date),
        "createDate": pacific(store.create_date),
        "modifyDate": pacific(store.create_date),
        "autoRefresh": False,
        "statusMappings": None,
    }


def _model_key(path: str, field: str) -> str:
    prefix = "apiOrder" if path.startswith("/orders/createorder") else "request"
    return f"{prefix}.{field}" if field else prefix


def _order_id(o: Any) -> int:
    return int(o.order_id)


def _shipment_id(s: Any) -> int:
    return int(s.shipment_id)


__all__ = ["Api", "ApiLayer", "SandboxError"]
