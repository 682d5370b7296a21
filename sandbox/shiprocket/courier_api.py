"""HTTP surface, part 2: serviceability, AWB assignment, pickup, label, manifest, invoice, tracking."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.kit import SandboxError
from sandbox.shiprocket import account_views, amendments, courier_views, operations, tracking, validation, views
from sandbox.shiprocket.api import Context, listing, route
from sandbox.shiprocket.formats import is_pin, to_decimal
from sandbox.shiprocket.operations import FOREACH
from sandbox.shiprocket.pricing import Lane, Serviceability, check, unserviceable_reason
from sandbox.shiprocket.state import Account, Order, Shipment
from sandbox.shiprocket.validation import FALSE_VALUES, TRUE_VALUES


def _lane(account: Account, data: dict[str, Any]) -> Lane | Response:
    """The lane a serviceability query asks about, or the in-body 404 for an unknown ``order_id``."""
    errors: dict[str, list[str]] = {}
    for key in ("pickup_postcode", "delivery_postcode"):
        value = data.get(key)
        if value in (None, ""):
            errors[key] = [f"The {key.replace('_', ' ')} field is required."]
        elif not is_pin(value):
            errors[key] = [f"The {key.replace('_', ' ')} must be 6 digits."]
    order_ref = data.get("order_id")
    has_order = order_ref not in (None, "")
    if not has_order:
        if data.get("weight") in (None, ""):
            errors["weight"] = ["The weight field is required when order id is not present."]
        elif (to_decimal(data.get("weight")) or Decimal(0)) <= 0:
            errors["weight"] = ["The weight must be a number greater than 0."]
        if data.get("cod") in (None, ""):
            errors["cod"] = ["The cod field is required when order id is not present."]
        elif data.get("cod") not in TRUE_VALUES and data.get("cod") not in FALSE_VALUES:
            errors["cod"] = ["The cod field must be true or false."]
        if "weight" in errors or "cod" in errors:
            errors["order_id"] = ["The order id field is required when none of weight / cod are present."]
    is_return = data.get("is_return") in TRUE_VALUES
    if is_return and data.get("declared_value") in (None, ""):
        errors["declared_value"] = ["The declared value field is required when is return is 1."]
    if data.get("qc_check") in TRUE_VALUES and not is_return:
        errors["qc_check"] = ["The qc check field is only allowed when is return is 1."]
    if errors:
        raise validation.fail(errors)
    mode = str(data.get("mode") or "").strip().capitalize() or None
    dims = tuple(to_decimal(data.get(k)) for k in ("length", "breadth", "height"))
    given_dims = (dims[0], dims[1], dims[2]) if all(d and d > 0 for d in dims) else None
    pickup, delivery = str(data["pickup_postcode"]).strip(), str(data["delivery_postcode"]).strip()
    if has_order:
        oid = to_decimal(order_ref)
        order = account.orders.get(int(oid)) if oid is not None and oid == oid.to_integral_value() else None
        if order is None:
            return JSONResponse({"status": 404, "message": "Order does not exist!"})
        lane = operations.lane_of(order, mode)
        return Lane(pickup, delivery, lane.weight, lane.cod, lane.declared_value, lane.dims, mode)
    return Lane(
        pickup,
        delivery,
        to_decimal(data["weight"]) or Decimal("0.5"),
        data["cod"] in TRUE_VALUES,
        to_decimal(data.get("declared_value")) or Decimal(0),
        given_dims,  # type: ignore[arg-type]
        mode,
    )


def _labels_url(ctx: Context, kind: str, name: str) -> str:
    return f"{ctx.sim.url('api')}/_sandbox/files/{kind}/{name}.pdf"


def routes(ctx: Context) -> list[Route]:
    sim = ctx.sim

    async def serviceability(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        lane = _lane(account, data)
        if isinstance(lane, Response):
            return lane
        now = ctx.now()
        service = check(lane, now)
        if data.get("only_local") in TRUE_VALUES:
            # No hyperlocal (same-city, same-day) couriers in the sandbox's catalogue.
            service = Serviceability(service.zone, [], [], None)
        if not service.available:
            reason = unserviceable_reason(lane) or "No courier serviceable for the given pin codes"
            raise SandboxError(404, {"message": reason, "status": 404, "status_code": 404})
        seller = next((p for p in account.pickups.values() if p.pin_code == lane.pickup), None)
        return JSONResponse(courier_views.serviceability(service, lane.pickup, lane.delivery, now, seller))

    async def assign(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        try:
            order, shipment, chosen = operations.assign_awb(account, data, sim.ids, sim.settings, ctx.now())
        except operations.AssignFailed as exc:
            return JSONResponse(
                {
                    "awb_assign_status": 0,
                    "response": {"data": {"awb_assign_error": exc.message}},
                    "message": exc.message,
                }
            )
        return JSONResponse(courier_views.assigned(order, shipment, chosen, account))

    async def pickup(request: Request) -> Response:
        account = ctx.account(request)
        now = ctx.now()
        _, shipment, moved = operations.schedule_pickup(account, await ctx.input(request), sim.ids, now)
        await ctx.notify(account, [moved])
        return JSONResponse(courier_views.pickup_generated(shipment, now))

    async def label(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        found = [
            (o, s)
            for o, s in operations.shipments_among(account, operations.shipment_ids(data))
            if s.awb is not None and s.status != 8
        ]
        if not found:
            return JSONResponse(
                {"label_created": 0, "not_created": [], "response": "No valid shipment ids to print label"}
            )
        first = found[0][1]
        url = _labels_url(ctx, "labels", f"shipping-label-{first.id}-{first.awb}")
        for _, s in found:
            s.label_url = url
            if s.status == 1:
                s.status = 2
        not_created = [x for x in data["shipment_id"] if str(x) not in {str(s.id) for _, s in found}]
        return JSONResponse(
            {
                "label_created": 1,
                "label_url": url,
                "response": "Label has been created and uploaded successfully!",
                "not_created": not_created,
            }
        )

    async def manifest(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        found = [
            (o, s)
            for o, s in operations.shipments_among(account, operations.shipment_ids(data))
            if s.pickup_scheduled_at is not None and s.status != 8
        ]
        already = [s.id for _, s in found if s.manifest_url]
        if already:
            raise SandboxError(
                400,
                {
                    "message": "Manifest already generated for some shipment_ids, Please try again after removin them",
                    "status_code": 400,
                    "already_manifested_shipment_ids": already,
                },
            )
        if not found:
            return JSONResponse({"status": 1, "manifest_url": ""})
        url = _labels_url(ctx, "manifest", f"MANIFEST-{found[0][1].id}")
        for _, s in found:
            s.manifest_url = url
        return JSONResponse({"status": 1, "manifest_url": url})

    async def print_manifest(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        raw = data.get("order_ids")
        if not isinstance(raw, list):
            raise operations.php_error(sim.settings, FOREACH, "order_ids", "The order ids must be an array.")
        urls = [
            account.shipments[account.orders[int(x)].shipment_id].manifest_url
            for x in raw
            if str(x).isdigit() and int(x) in account.orders
        ]
        return JSONResponse({"manifest_url": next((u for u in urls if u), "")})

    async def invoice(request: Request) -> Response:
        account = ctx.account(request)
        raw = operations.id_list(await ctx.input(request), "ids")
        known = [x for x in raw if str(x).isdigit() and int(x) in account.orders]
        if not known:
            raise SandboxError(400, {"message": "Invalid order ids", "status_code": 400})
        return JSONResponse(
            {
                "is_invoice_created": True,
                "invoice_url": _labels_url(ctx, "invoice", f"retail-invoice-{known[0]}"),
                "not_created": [x for x in raw if x not in known],
                "irn_no": "",
            }
        )

    def _by_awb(account: Account, awb: str) -> tuple[Order, Shipment] | None:
        for s in account.shipments.values():
            if s.awb == awb:
                return account.orders[s.order_id], s
        return None

    async def track_awb(request: Request) -> Response:
        account = ctx.account(request)
        found = _by_awb(account, request.path_params["awb"])
        return JSONResponse(tracking.tracking(*found) if found else tracking.no_tracking())

    async def track_awbs(request: Request) -> Response:
        account = ctx.account(request)
        raw = (await ctx.input(request)).get("awbs")
        if not isinstance(raw, list) or not raw:
            raise operations.php_error(sim.settings, FOREACH, "awbs", "The awbs must be an array.")
        if len(raw) > 50:
            raise validation.fail({"awbs": ["The awbs may not have more than 50 items."]})
        answer: dict[str, Any] = {}
        for awb in raw:
            found = _by_awb(account, str(awb))
            answer[str(awb)] = tracking.tracking(*found) if found else tracking.no_tracking()
        return JSONResponse(answer)

    async def track_shipment(request: Request) -> Response:
        account = ctx.account(request)
        try:
            order, shipment = operations.find_shipment(account, request.path_params["shipment_id"])
        except SandboxError:
            return JSONResponse(tracking.no_tracking())
        return JSONResponse(tracking.tracking(order, shipment))

    async def track_order(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        ref = str(data.get("order_id") or "").strip()
        if not ref:
            raise validation.fail({"order_id": ["The order id field is required."]})
        channel = str(data.get("channel_id") or "").strip()
        orders = [
            o
            for o in account.orders.values()
            if o.channel_order_id == ref and (not channel or str(o.channel_id) == channel)
        ]
        return JSONResponse([tracking.tracking(o, account.shipments[o.shipment_id]) for o in orders])

    def _ndr_queue(account: Account) -> list[tuple[Order, Shipment]]:
        found = [(account.orders[s.order_id], s) for s in account.shipments.values() if amendments.in_ndr(s)]
        return sorted(found, key=lambda pair: pair[1].updated_at, reverse=True)

    async def ndr_all(request: Request) -> Response:
        account = ctx.account(request)
        queue = _ndr_queue(account)
        needle = request.query_params.get("search", "").strip()
        if needle:
            queue = [(o, s) for o, s in queue if s.awb == needle or o.channel_order_id == needle]
        chunk, paging = listing(request, queue)
        data = [account_views.ndr_entry(account, o, s) for o, s in chunk]
        return JSONResponse({"data": data, "meta": {"pagination": paging}})

    async def ndr_one(request: Request) -> Response:
        account = ctx.account(request)
        found = _by_awb(account, request.path_params["awb"])
        data = [account_views.ndr_entry(account, *found)] if found and amendments.in_ndr(found[1]) else []
        return JSONResponse({"data": data, "meta": {"pagination": views.pagination(len(data), len(data), 15, 1, "")}})

    async def ndr_act(request: Request) -> Response:
        account = ctx.account(request)
        found = _by_awb(account, request.path_params["awb"])
        if found is None:
            raise SandboxError(400, {"message": "Invalid AWB.", "status_code": 400})
        moved = amendments.ndr_action(account, *found, await ctx.input(request), sim.ids, ctx.now())
        await ctx.notify(account, moved)
        return JSONResponse({"status": "Data Updated Sucessfully"}, status_code=202)

    return [
        *route("/ndr/all", ndr_all, ["GET"]),
        *route("/ndr/{awb}", ndr_one, ["GET"]),
        *route("/ndr/{awb}/action", ndr_act, ["POST"]),
        *route("/courier/serviceability", serviceability, ["GET"]),
        *route("/courier/assign/awb", assign, ["POST"]),
        *route("/courier/generate/pickup", pickup, ["POST"]),
        *route("/courier/generate/label", label, ["POST"]),
        *route("/manifests/generate", manifest, ["POST"]),
        *route("/manifests/print", print_manifest, ["POST"]),
        *route("/orders/print/invoice", invoice, ["POST"]),
        *route("/courier/track/awb/{awb}", track_awb, ["GET"]),
        *route("/courier/track/awbs", track_awbs, ["POST"]),
        *route("/courier/track/shipment/{shipment_id}", track_shipment, ["GET"]),
        *route("/courier/track", track_order, ["GET"]),
    ]
