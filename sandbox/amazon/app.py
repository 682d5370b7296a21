"""HTTP handling: the LWA token endpoint and the SP-API routes, each behind auth and its usage plan.

Every SP-API answer carries ``x-amzn-RequestId`` and ``x-amzn-RateLimit-Limit``; every error is the
``{"errors": [...]}`` envelope. The business rules live in ``query``, ``restricted``, ``shipment`` and
``render``; this module only reads requests and writes responses.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.amazon import lwa, query, render, restricted, shipment, static
from sandbox.amazon.errors import invalid_input, not_found, quota_exceeded, unauthorized
from sandbox.amazon.formats import ORDER_ID_RE, iso, request_id
from sandbox.amazon.limits import BY_NAME
from sandbox.amazon.marketplaces import REGION_OF, region_of_listener
from sandbox.amazon.paging import Cursor
from sandbox.amazon.state import Account, Order
from sandbox.kit import SandboxError, Token, set_account

if TYPE_CHECKING:
    from sandbox.amazon.simulator import AmazonSimulator

ITEMS_PAGE = 100
RDT_TTL = 3600


@dataclass(frozen=True)
class Caller:
    account: Account
    client_id: str
    region: str
    grants: frozenset[str]
    rdt: bool


Handler = Callable[[Request, Caller], Awaitable[Response]]


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError:
        raise invalid_input("The request body is not valid JSON.") from None


class AmazonApi:
    def __init__(self, sim: AmazonSimulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------------ plumbing
    def _authenticate(self, request: Request, region: str) -> Caller:
        """Who is calling: an LWA access token or a Restricted Data Token (SigV4 headers are ignored)."""
        value = request.headers.get("x-amz-access-token")
        token = self.sim.tokens.check(value, kind="access")
        grants: frozenset[str] = frozenset()
        is_rdt = False
        if not isinstance(token, Token):
            token = self.sim.tokens.check(value, kind="rdt")
            if not isinstance(token, Token):
                raise unauthorized()
            covered = restricted.grants_for(token.data["resources"], request.method, request.url.path)
            if covered is None:
                raise unauthorized()
            grants, is_rdt = covered, True
        account = self.sim.store.get(token.account)
        if account is None:
            raise unauthorized()
        return Caller(account, str(token.data.get("client_id", "")), region, grants, is_rdt)

    def operation(self, name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        op = BY_NAME[name]

        async def endpoint(request: Request) -> Response:
            headers = {"x-amzn-RequestId": request_id(), "x-amzn-RateLimit-Limit": op.header}
            try:
                region = region_of_listener(self.sim.listener_of(request))
                if region is None:
                    raise not_found()
                caller = self._authenticate(request, region)
                set_account(request, caller.account.selling_partner_id)
                decision = self.sim.plans.take(name, caller.account.selling_partner_id, caller.client_id)
                if not decision.allowed:
                    raise quota_exceeded()
                if self.sim.static_sandbox:
                    response = static.answer(name, request)
                else:
                    response = await handler(request, caller)
            except SandboxError as exc:
                response = _json(exc.body, exc.status)
            response.headers.update(headers)
            return response

        return endpoint

    def _order(self, caller: Caller, order_id: str) -> Order:
        if not ORDER_ID_RE.match(order_id):
            raise invalid_input(f"Invalid orderId: {order_id} is not in 3-7-7 format.")
        order = caller.account.orders.get(order_id)
        if order is None or REGION_OF.get(order.marketplace_id) != caller.region:
            raise not_found(f"Order {order_id} was not found.")
        return order

    # ------------------------------------------------------------------ Orders v0
    async def get_orders(self, request: Request, caller: Caller) -> Response:
        now = self.sim.clock.now()
        q = query.parse(request.query_params, now, caller.region)
        scope = f"{caller.account.selling_partner_id}:getOrders"
        fingerprint = q.fingerprint()
        after_key = None
        if q.next_token is not None:
            cursor = self.sim.codec.decode(q.next_token)
            if cursor is None or cursor.scope != scope or cursor.upper is None:
                raise invalid_input("Invalid NextToken.")
            if cursor.fingerprint != fingerprint:
                raise invalid_input("NextToken does not match the filters of this request; resend the same filters.")
            upper, after_key = datetime.fromtimestamp(cursor.upper, UTC), cursor.after_key
        else:
            upper = query.upper_bound(q, now)
        orders, next_key = query.page(caller.account.orders.values(), q, upper, after_key)
        payload: dict[str, Any] = {"Orders": [render.order(o, caller.grants) for o in orders]}
        if next_key is not None:
            payload["NextToken"] = self.sim.codec.encode(Cursor(scope, fingerprint, next_key, upper.timestamp()))
        payload[q.before_name] = iso(upper)
        return _json({"payload": payload})

    async def get_order(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        return _json({"payload": render.order(order, caller.grants)})

    async def get_order_items(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        offset = self._item_offset(request, caller, order, "items")
        chunk = order.items[offset : offset + ITEMS_PAGE]
        payload: dict[str, Any] = {"OrderItems": [render.item(i, order, caller.grants) for i in chunk]}
        if offset + ITEMS_PAGE < len(order.items):
            payload["NextToken"] = self._item_token(caller, order, "items", offset + ITEMS_PAGE)
        payload["AmazonOrderId"] = order.amazon_order_id
        return _json({"payload": payload})

    async def get_order_items_buyer_info(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        offset = self._item_offset(request, caller, order, "itemsBuyerInfo")
        full = render.BUYER_INFO in caller.grants
        chunk = order.items[offset : offset + ITEMS_PAGE]
        payload: dict[str, Any] = {"OrderItems": [render.item_buyer_info(i, order, full) for i in chunk]}
        if offset + ITEMS_PAGE < len(order.items):
            payload["NextToken"] = self._item_token(caller, order, "itemsBuyerInfo", offset + ITEMS_PAGE)
        payload["AmazonOrderId"] = order.amazon_order_id
        return _json({"payload": payload})

    def _item_token(self, caller: Caller, order: Order, what: str, offset: int) -> str:
        scope = f"{caller.account.selling_partner_id}:{what}:{order.amazon_order_id}"
        return self.sim.codec.encode(Cursor(scope, "", None, None, offset))

    def _item_offset(self, request: Request, caller: Caller, order: Order, what: str) -> int:
        token = request.query_params.get("NextToken")
        if not token:
            return 0
        cursor = self.sim.codec.decode(token)
        scope = f"{caller.account.selling_partner_id}:{what}:{order.amazon_order_id}"
        if cursor is None or cursor.scope != scope:
            raise invalid_input("Invalid NextToken.")
        return cursor.offset

    async def get_order_address(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        full = render.SHIPPING_ADDRESS in caller.grants
        return _json({"payload": render.order_address(order, full)})

    async def get_order_buyer_info(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        full = render.BUYER_INFO in caller.grants
        return _json({"payload": render.order_buyer_info(order, full)})

    async def confirm_shipment(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        package = shipment.parse_package(await _body(request), order)
        shipment.confirm(order, package, self.sim.clock.now())
        return Response(status_code=204)

    async def update_shipment_status(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        shipment.update_status(await _body(request), order)

    async def get_regulated_info(self, request: Request, caller: Caller) -> Response:
        shipment.regulated_info(self._order(caller, request.path_params["order_id"]))

    async def update_verification_status(self, request: Request, caller: Caller) -> Response:
        order = self._order(caller, request.path_params["order_id"])
        shipment.update_verification(await _body(request), order)

    # ------------------------------------------------------------------ Tokens API
    async def create_rdt(self, request: Request, caller: Caller) -> Response:
        if caller.rdt:
            raise unauthorized()
        resources = restricted.parse_request(await _body(request))
        token = self.sim.tokens.issue(
            caller.account.selling_partner_id,
            kind="rdt",
            ttl=RDT_TTL,
            make=lambda: self.sim.new_rdt(),
            client_id=caller.client_id,
            resources=[r.as_data() for r in resources],
        )
        return _json({"restrictedDataToken": token.value, "expiresIn": RDT_TTL})

    # ------------------------------------------------------------------ LWA
    async def token(self, request: Request) -> Response:
        headers = {"x-amzn-RequestId": request_id(), "Cache-Control": "no-cache, no-store"}
        try:
            if self.sim.listener_of(request) != "lwa":
                raise not_found()
            form = lwa.read_form(await request.body(), request.headers.get("content-type", ""))
            answer = lwa.exchange(
                form,
                self.sim.apps,
                self.sim.tokens,
                self.sim.consents,
                self.sim.clock.time(),
                rotate=self.sim.rotate_refresh_tokens,
            )
            access = self.sim.tokens.get(answer["access_token"])
            if access is not None and access.kind == "access":
                set_account(request, access.account)
            response: Response = _json(answer)
        except SandboxError as exc:
            response = _json(exc.body, exc.status)
        response.headers.update(headers)
        return response

    def routes(self) -> list[BaseRoute]:
        order = "/orders/v0/orders/{order_id}"
        table: list[tuple[str, str, str, Handler]] = [
            ("GET", "/orders/v0/orders", "getOrders", self.get_orders),
            ("GET", order, "getOrder", self.get_order),
            ("GET", order + "/orderItems", "getOrderItems", self.get_order_items),
            ("GET", order + "/orderItems/buyerInfo", "getOrderItemsBuyerInfo", self.get_order_items_buyer_info),
            ("GET", order + "/address", "getOrderAddress", self.get_order_address),
            ("GET", order + "/buyerInfo", "getOrderBuyerInfo", self.get_order_buyer_info),
            ("POST", order + "/shipmentConfirmation", "confirmShipment", self.confirm_shipment),
            ("POST", order + "/shipment", "updateShipmentStatus", self.update_shipment_status),
            ("GET", order + "/regulatedInfo", "getOrderRegulatedInfo", self.get_regulated_info),
            ("PATCH", order + "/regulatedInfo", "updateVerificationStatus", self.update_verification_status),
            ("POST", "/tokens/2021-03-01/restrictedDataToken", "createRestrictedDataToken", self.create_rdt),
        ]
        routes: list[BaseRoute] = [Route("/auth/o2/token", self.token, methods=["POST"])]
        routes += [Route(path, self.operation(name, h), methods=[method]) for method, path, name, h in table]
        return routes
