"""ShipStation-specific admin routes (under ``/_sandbox``):

POST /_sandbox/orders/{orderId}/ship   {"label": true, "carrierCode", "serviceCode", "trackingNumber",
                                        "shipmentCost"}  ship an order (SHIP_NOTIFY fires); any status
POST /_sandbox/orders/{orderId}/void   {"shipmentId"?}   void the order's latest live shipment (or that one)
POST /_sandbox/orders/{orderId}/edit   {"fields": {...}, "status"?}  merge fields, bump modifyDate
POST /_sandbox/errors                  {"style": "aspnet" | "lowercase"}  error body style
GET/POST /_sandbox/ratelimit           {"limit", "window", "enabled", "reset"}  the per-key-pair window
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.kit import SandboxError, admin_json
from sandbox.shipstation import catalog, orders, shipments
from sandbox.shipstation.operations import Missing, Refused, parse_cost
from sandbox.shipstation.orders import Invalid
from sandbox.shipstation.state import Account, Order

if TYPE_CHECKING:
    from sandbox.shipstation.simulator import ShipStationSimulator


class Admin:
    def __init__(self, sim: ShipStationSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/orders/{orderId:int}/ship", self.ship, methods=["POST"]),
            Route("/orders/{orderId:int}/void", self.void, methods=["POST"]),
            Route("/orders/{orderId:int}/edit", self.edit, methods=["POST"]),
            Route("/errors", self.error_style, methods=["GET", "POST"]),
            Route("/ratelimit", self.ratelimit, methods=["GET", "POST"]),
        ]

    def _find(self, order_id: int) -> tuple[Account, Order]:
        for account in self.sim.all_accounts():
            order = account.orders.get(order_id)
            if order is not None:
                return account, order
        raise SandboxError(404, {"error": f"no order {order_id} in any account"})

    async def ship(self, request: Request) -> Response:
        body = await admin_json(request)
        account, order = self._find(request.path_params["orderId"])
        carrier = str(body.get("carrierCode") or "stamps_com")
        service = body.get("serviceCode") or (
            catalog.CARRIERS.get(carrier, (None,))[0] if body.get("label", True) else None
        )
        shipment = self.sim.ops.ship(
            account,
            order,
            label=bool(body.get("label", True)),
            carrier=carrier,
            service=service,
            tracking=body.get("trackingNumber"),
            cost=parse_cost(body.get("shipmentCost")),
        )
        return JSONResponse({"shipment": shipments.render(shipment, True), "order": orders.render(order)})

    async def void(self, request: Request) -> Response:
        body = await admin_json(request)
        account, order = self._find(request.path_params["orderId"])
        wanted = body.get("shipmentId")
        live = [
            s
            for s in account.shipments.values()
            if s.order_id == order.order_id and not s.voided and (wanted is None or s.shipment_id == wanted)
        ]
        if not live:
            raise SandboxError(404, {"error": f"order {order.order_id} has no live shipment to void"})
        shipment = self.sim.ops.void(account, max(live, key=lambda s: s.shipment_id))
        return JSONResponse({"shipment": shipments.render(shipment, False), "order": orders.render(order)})

    async def edit(self, request: Request) -> Response:
        body = await admin_json(request)
        account, order = self._find(request.path_params["orderId"])
        raw = body.get("fields") or {}
        if not isinstance(raw, dict):
            raise SandboxError(400, {"error": "fields must be an object of order fields"})
        fields = dict(raw)
        if body.get("status"):
            fields["orderStatus"] = body["status"]
        try:
            updated = self.sim.ops.edit(account, order, fields)
        except (Invalid, Refused, Missing) as exc:
            raise SandboxError(400, {"error": str(exc)}) from exc
        return JSONResponse({"order": orders.render(updated)})

    async def error_style(self, request: Request) -> Response:
        if request.method == "POST":
            body = await admin_json(request)
            try:
                self.sim.errors.set(str(body.get("style")))
            except ValueError as exc:
                raise SandboxError(400, {"error": str(exc)}) from exc
        return JSONResponse({"style": self.sim.errors.style})

    async def ratelimit(self, request: Request) -> Response:
        if request.method == "POST":
            body: dict[str, Any] = await admin_json(request)
            try:
                self.sim.limiter.configure(
                    limit=None if body.get("limit") is None else int(body["limit"]),
                    window=None if body.get("window") is None else float(body["window"]),
                    enabled=None if body.get("enabled") is None else bool(body["enabled"]),
                )
            except (TypeError, ValueError) as exc:
                raise SandboxError(400, {"error": f"bad rate limit setting: {exc}"}) from exc
            if body.get("reset"):
                self.sim.limiter.reset()
        s = self.sim.limiter.settings
        return JSONResponse({"limit": s.limit, "window": s.window, "enabled": s.enabled})
