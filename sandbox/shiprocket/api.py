"""HTTP surface, part 1: the request context (auth, input, paging, webhooks) and the auth, order,
pickup-location, channel and account routes. Courier routes are in ``courier_api.py``.

Every route answers at ``/v1/external/...`` with and without a trailing slash (clients differ).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.kit import SandboxError, set_account
from sandbox.shiprocket import account_views, amendments, auth, operations, remittance, tracking, validation, views
from sandbox.shiprocket.catalog import ORDER_STATUSES
from sandbox.shiprocket.formats import ist, money, parse_day, scan_time
from sandbox.shiprocket.operations import Moved
from sandbox.shiprocket.state import Account, PickupLocation

if TYPE_CHECKING:
    from sandbox.shiprocket.simulator import ShiprocketSimulator

PREFIX = "/v1/external"
Handler = Callable[[Request], Awaitable[Response]]


def route(path: str, handler: Handler, methods: list[str]) -> list[Route]:
    """The route at ``PREFIX + path`` and its trailing-slash twin."""
    full = PREFIX + path.rstrip("/")
    return [Route(full, handler, methods=methods), Route(full + "/", handler, methods=methods)]


class Context:
    """What every handler needs: the simulator, the caller's account, its input."""

    def __init__(self, sim: ShiprocketSimulator) -> None:
        self.sim = sim

    def account(self, request: Request) -> Account:
        token = auth.authenticate(self.sim.tokens, request.headers.get("authorization"))
        account = self.sim.accounts_by_key.get(token.account)
        if account is None:
            raise SandboxError(401, {"message": auth.UNAUTHENTICATED["unknown"], "status_code": 401})
        set_account(request, account.key)
        self.sim.throttle(account.key)
        return account

    async def input(self, request: Request) -> dict[str, Any]:
        """Laravel-style input: query string merged with a JSON or form body (bad JSON counts as empty)."""
        data: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        if not raw.strip():
            return data
        if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
            data.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            return data
        try:
            parsed = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return data
        if isinstance(parsed, dict):
            data.update(parsed)
        return data

    def now(self) -> datetime:
        return self.sim.clock.now()

    async def notify(self, account: Account, moved: list[Moved]) -> None:
        for m in moved:
            await self.sim.send_webhook(account, tracking.webhook(m.order, m.shipment, m.scan.event, m.scan.at))


def page_args(request: Request, default: int = 15) -> tuple[int, int]:
    def as_int(name: str, fallback: int) -> int:
        try:
            return max(1, int(request.query_params.get(name, fallback)))
        except ValueError:
            return fallback

    return as_int("page", 1), min(as_int("per_page", default), 500)


def listing(request: Request, items: list[Any], default: int = 15) -> tuple[list[Any], dict[str, Any]]:
    page, per_page = page_args(request, default)
    chunk = items[(page - 1) * per_page : page * per_page]
    link = f"{request.url.scheme}://{request.url.netloc}{request.url.path.rstrip('/')}"
    return chunk, views.pagination(len(items), len(chunk), per_page, page, link)


def routes(ctx: Context) -> list[Route]:
    sim = ctx.sim

    async def login(request: Request) -> Response:
        data = await ctx.input(request)
        errors = validation.check(data, {"email": "required", "password": "required"})
        if errors:
            raise validation.fail(errors)
        email = str(data["email"]).strip().lower()
        account = next((a for a in sim.accounts_by_key.values() if a.email.lower() == email), None)
        if account is None or account.password != str(data["password"]):
            raise SandboxError(403, {"message": "Invalid email and password combination", "status_code": 403})
        token = auth.issue(
            sim.tokens, sim.secret, account.key, account.user_id, account.company_id, sim.settings.token_ttl_seconds
        )
        set_account(request, account.key)
        return JSONResponse(
            {
                "id": account.user_id,
                "first_name": account.first_name,
                "last_name": account.last_name,
                "email": account.email,
                "company_id": account.company_id,
                "created_at": scan_time(account.created_at),
                "token": token.value,
            }
        )

    async def logout(request: Request) -> Response:
        ctx.account(request)
        value = auth.bearer(request.headers.get("authorization"))
        if value:
            sim.tokens.revoke(value)
        return JSONResponse({"message": "Successfully logged out"})

    async def create_adhoc(request: Request) -> Response:
        account = ctx.account(request)
        order = operations.create_order(account, await ctx.input(request), sim.ids, ctx.now())
        return JSONResponse(
            {
                "order_id": order.id,
                "shipment_id": order.shipment_id,
                "status": "NEW",
                "status_code": 1,
                "onboarding_completed_now": 0,
                "awb_code": None,
                "courier_company_id": None,
                "courier_name": None,
            }
        )

    async def create_return(request: Request) -> Response:
        account = ctx.account(request)
        order = operations.create_return(account, await ctx.input(request), sim.ids, ctx.now())
        return JSONResponse(
            {
                "order_id": order.id,
                "shipment_id": order.shipment_id,
                "status": "RETURN PENDING",
                "status_code": 21,
                "company_name": account.company_name,
            }
        )

    async def list_orders(request: Request) -> Response:
        account = ctx.account(request)
        q = request.query_params
        orders = list(account.orders.values())
        if q.get("filter_by") == "status" and q.get("filter"):
            wanted = {w.strip().upper() for w in q["filter"].split(",")}
            orders = [o for o in orders if str(o.status_code) in wanted or ORDER_STATUSES.get(o.status_code) in wanted]
        elif q.get("filter_by") == "payment_method" and q.get("filter"):
            orders = [o for o in orders if o.payment_method.lower() == q["filter"].strip().lower()]
        if q.get("search"):
            needle = q["search"].strip().lower()
            orders = [
                o
                for o in orders
                if needle in o.channel_order_id.lower()
                or needle in o.billing.name.lower()
                or needle == (account.shipments[o.shipment_id].awb or "").lower()
                or needle == str(o.id)
            ]
        if q.get("pickup_location"):
            orders = [o for o in orders if o.pickup.nickname == q["pickup_location"]]
        if q.get("channel_id"):
            orders = [o for o in orders if str(o.channel_id) == q["channel_id"].strip()]
        start = parse_day(q["from"]) if q.get("from") else None
        end = parse_day(q["to"]) if q.get("to") else None
        orders = [
            o
            for o in orders
            if (start is None or ist(o.created_at).date() >= start) and (end is None or ist(o.created_at).date() <= end)
        ]
        key = q.get("sort_by", "id")
        orders.sort(
            key=lambda o: (
                (o.updated_at if key == "updated_at" else o.created_at, o.id)
                if key in ("created_at", "updated_at")
                else o.id
            ),
            reverse=q.get("sort", "DESC").upper() != "ASC",
        )
        chunk, paging = listing(request, orders)
        data = [views.order_summary(o, account.shipments[o.shipment_id]) for o in chunk]
        return JSONResponse({"data": data, "meta": {"pagination": paging}})

    async def show_order(request: Request) -> Response:
        account = ctx.account(request)
        raw = request.path_params["order_id"]
        order = account.orders.get(int(raw)) if raw.isdigit() else None
        if order is None:
            raise SandboxError(400, {"message": "Order ID not found", "status_code": 400})
        return JSONResponse({"data": views.order_detail(order, account.shipments[order.shipment_id])})

    async def cancel(request: Request) -> Response:
        account = ctx.account(request)
        moved = operations.cancel_orders(account, await ctx.input(request), sim.ids, ctx.now(), sim.settings)
        await ctx.notify(account, moved)
        return Response(status_code=204)

    async def cancel_awbs(request: Request) -> Response:
        account = ctx.account(request)
        operations.cancel_awbs(account, await ctx.input(request), sim.ids, ctx.now())
        return Response(status_code=204)

    async def list_shipments(request: Request) -> Response:
        account = ctx.account(request)
        shipments = sorted(account.shipments.values(), key=lambda s: s.id, reverse=True)
        chunk, paging = listing(request, shipments)
        data = [views.shipment_item(account.orders[s.order_id], s, account) for s in chunk]
        return JSONResponse({"data": data, "meta": {"pagination": paging}})

    async def show_shipment(request: Request) -> Response:
        account = ctx.account(request)
        order, shipment = operations.find_shipment(account, request.path_params["shipment_id"])
        return JSONResponse({"data": views.shipment_item(order, shipment, account)})

    async def pickups(request: Request) -> Response:
        account = ctx.account(request)
        return JSONResponse(
            {
                "data": {
                    "shipping_address": [
                        views.pickup_location(p, account.company_id) for p in account.pickups.values()
                    ],
                    "allow_more": "true",
                    "is_blackbox_seller": False,
                    "company_name": account.company_name,
                    "recent_addresses": [],
                }
            }
        )

    async def add_pickup(request: Request) -> Response:
        account = ctx.account(request)
        data = await ctx.input(request)
        validation.require_pickup(data)
        nickname = str(data["pickup_location"]).strip()
        if nickname in account.pickups:
            raise validation.fail({"pickup_location": ["Address nick name already in use"]})
        loc = PickupLocation(
            id=next(sim.ids.pickup),
            nickname=nickname,
            name=str(data["name"]).strip(),
            email=str(data["email"]).strip(),
            phone=str(data["phone"]).strip(),
            address=str(data["address"]).strip(),
            address_2=str(data.get("address_2") or "").strip(),
            city=str(data["city"]).strip(),
            state=str(data["state"]).strip(),
            country=str(data["country"]).strip(),
            pin_code=str(data["pin_code"]).strip(),
            created_at=ctx.now(),
        )
        account.pickups[nickname] = loc
        return JSONResponse(views.added_pickup(loc, account))

    async def channels(request: Request) -> Response:
        account = ctx.account(request)
        return JSONResponse(
            {
                "data": [
                    {
                        "id": account.channel_id,
                        "name": "CUSTOM",
                        "status": "Active",
                        "connection_response": None,
                        "channel_updated_at": scan_time(account.created_at),
                        "status_code": 1,
                        "settings": {"dimensions": "0x0x0", "weight": 0, "order_status": ""},
                        "auth": [],
                        "connection": 1,
                        "orders_sync": 0,
                        "inventory_sync": 0,
                        "catalog_sync": 0,
                        "orders_synced_on": "Not Available",
                        "inventory_synced_on": "Not Available",
                        "base_channel_code": "CS",
                        "brand_name": "",
                        "brand_logo": "",
                    }
                ]
            }
        )

    async def wallet(request: Request) -> Response:
        account = ctx.account(request)
        return JSONResponse({"data": {"balance_amount": money(account.wallet)}})

    async def remittances(request: Request) -> Response:
        account = ctx.account(request)
        q = request.query_params
        bounds = {}
        for key in ("from", "to"):
            if q.get(key):
                day = parse_day(q[key])
                if day is None:
                    raise validation.fail({key: [f"The {key} does not match the format Y-M-d."]})
                bounds[key] = day
        batches = [b for b in account.remittances if remittance.in_range(b, bounds.get("from"), bounds.get("to"))]
        batches.sort(key=lambda b: (b.created_at, b.crf_id), reverse=True)
        chunk, paging = listing(request, batches)
        return JSONResponse(
            {
                "data": [views.remittance(b) for b in chunk],
                "meta": {"remitance_count": len(batches), "pagination": paging},
            }
        )

    async def remittance_awbs(request: Request) -> Response:
        account = ctx.account(request)
        raw = request.path_params["crf_id"]
        batch = next((b for b in account.remittances if str(b.crf_id) == raw), None)
        if batch is None:
            raise SandboxError(404, {"message": "Remittance not found", "status_code": 404})
        return JSONResponse(views.remittance_lines(batch))

    async def update_adhoc(request: Request) -> Response:
        account = ctx.account(request)
        _, body = amendments.update_adhoc(account, await ctx.input(request), sim.ids, ctx.now())
        return JSONResponse(body)

    async def update_address(request: Request) -> Response:
        account = ctx.account(request)
        amendments.update_address(account, await ctx.input(request), ctx.now())
        return Response(status_code=202)

    async def change_pickup(request: Request) -> Response:
        account = ctx.account(request)
        amendments.change_pickup(account, await ctx.input(request), sim.settings, ctx.now())
        return JSONResponse({"message": "Pickup location Updated"})

    async def return_orders(request: Request) -> Response:
        account = ctx.account(request)
        orders = sorted((o for o in account.orders.values() if o.is_return), key=lambda o: o.id, reverse=True)
        chunk, paging = listing(request, orders)
        data = [account_views.return_order(o, account.shipments[o.shipment_id]) for o in chunk]
        return JSONResponse({"data": data, "meta": {"pagination": paging}})

    async def statement(request: Request) -> Response:
        account = ctx.account(request)
        q = request.query_params
        start = parse_day(q["from"]) if q.get("from") else None
        end = parse_day(q["to"]) if q.get("to") else None
        entries = [
            e
            for e in reversed(account.ledger)
            if (start is None or ist(e.at).date() >= start) and (end is None or ist(e.at).date() <= end)
        ]
        chunk, paging = listing(request, entries)
        data = [account_views.statement_entry(e) for e in chunk]
        return JSONResponse({"data": data, "meta": {"pagination": paging}})

    return [
        *route("/auth/login", login, ["POST"]),
        *route("/orders/update/adhoc", update_adhoc, ["POST"]),
        *route("/orders/address/update", update_address, ["POST"]),
        *route("/orders/address/pickup", change_pickup, ["PATCH"]),
        *route("/orders/processing/return", return_orders, ["GET"]),
        *route("/account/details/statement", statement, ["GET"]),
        *route("/auth/logout", logout, ["POST"]),
        *route("/orders/create/adhoc", create_adhoc, ["POST"]),
        *route("/orders/create/return", create_return, ["POST"]),
        *route("/orders", list_orders, ["GET"]),
        *route("/orders/show/{order_id}", show_order, ["GET"]),
        *route("/orders/cancel", cancel, ["POST"]),
        *route("/orders/cancel/shipment/awbs", cancel_awbs, ["POST"]),
        *route("/shipments", list_shipments, ["GET"]),
        *route("/shipments/{shipment_id}", show_shipment, ["GET"]),
        *route("/settings/company/pickup", pickups, ["GET"]),
        *route("/settings/company/addpickup", add_pickup, ["POST"]),
        *route("/channels", channels, ["GET"]),
        *route("/account/details/wallet-balance", wallet, ["GET"]),
        *route("/account/details/remittance", remittances, ["GET"]),
        *route("/account/details/remittance/{crf_id}/awbs", remittance_awbs, ["GET"]),
    ]
