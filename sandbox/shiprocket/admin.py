"""Shiprocket-specific admin routes (under ``/_sandbox``); see README.md for the list.

POST /_sandbox/settings                  token TTL, rate limit, reassign window
GET/POST /_sandbox/webhook-config        a merchant's tracking webhook URL, token, enabled flag
POST /_sandbox/shipments/{awb}/advance   {"status": "IN TRANSIT"} or {"path": "delivered"|"rto"|"lost"|"undelivered"}
GET  /_sandbox/remittances/remittable    delivered COD AWBs waiting for payout (?account=)
POST /_sandbox/remittances               create a COD remittance batch
POST /_sandbox/wallet                    set a merchant's wallet balance
GET  /_sandbox/files/{kind}/{name}       the tiny PDFs label/manifest/invoice URLs point at
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.kit import SandboxError, admin_json
from sandbox.shiprocket import lifecycle, operations, remittance, tracking, views
from sandbox.shiprocket.catalog import EVENTS, PATHS
from sandbox.shiprocket.formats import money, parse_admin_time, to_decimal
from sandbox.shiprocket.operations import next_pickup_day
from sandbox.shiprocket.state import Account, Scan, Shipment

if TYPE_CHECKING:
    from sandbox.shiprocket.simulator import ShiprocketSimulator

FORBIDDEN_URL_WORDS = ("shiprocket", "kartrocket", "sr", "kr")

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def webhook_url_problem(url: str) -> str | None:
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")):
        return "URL must start with http:// or https://"
    word = next((w for w in FORBIDDEN_URL_WORDS if w in lowered), None)
    if word:
        return f"URL must not contain the words shiprocket, kartrocket, sr or kr (found {word!r})"
    return None


def routes(sim: ShiprocketSimulator) -> list[Route]:
    def account_of(params: dict[str, Any] | Any) -> Account:
        key = params.get("account") or "demo"
        account = sim.accounts_by_key.get(str(key))
        if account is None:
            raise SandboxError(404, {"error": f"no account {key!r}"})
        return account

    async def settings(request: Request) -> Response:
        body = await admin_json(request)
        s = sim.settings
        try:
            if "token_ttl_hours" in body:
                s.token_ttl_seconds = float(body["token_ttl_hours"]) * 3600
            if "token_ttl_seconds" in body:
                s.token_ttl_seconds = float(body["token_ttl_seconds"])
            if "rate_limit_per_minute" in body:
                value = body["rate_limit_per_minute"]
                s.rate_limit_per_minute = None if value is None else int(value)
                sim.configure_limiter()
            if "php_errors" in body:
                s.php_errors = bool(body["php_errors"])
            if "reassign_window_hours" in body:
                s.reassign_window_seconds = float(body["reassign_window_hours"]) * 3600
        except (TypeError, ValueError) as exc:
            raise SandboxError(400, {"error": f"bad setting: {exc}"}) from exc
        return JSONResponse(
            {
                "token_ttl_seconds": s.token_ttl_seconds,
                "rate_limit_per_minute": s.rate_limit_per_minute,
                "reassign_window_seconds": s.reassign_window_seconds,
                "php_errors": s.php_errors,
            }
        )

    async def webhook_config(request: Request) -> Response:
        if request.method == "GET":
            account = account_of(request.query_params)
        else:
            body = await admin_json(request)
            account = account_of(body)
            if "url" in body:
                url = body["url"]
                if url is not None:
                    problem = webhook_url_problem(str(url))
                    if problem:
                        raise SandboxError(422, {"error": problem})
                account.webhook.url = url
            if "token" in body:
                account.webhook.token = body["token"]
            if "enabled" in body:
                account.webhook.enabled = bool(body["enabled"])
        hook = account.webhook
        return JSONResponse({"account": account.key, "url": hook.url, "token": hook.token, "enabled": hook.enabled})

    async def advance(request: Request) -> Response:
        body = await admin_json(request)
        awb = request.path_params["awb"]
        found = sim.find_awb(awb)
        if found is None:
            raise SandboxError(404, {"error": f"no shipment with AWB {awb}"})
        account, order, shipment = found
        if "path" in body:
            if body["path"] not in PATHS:
                raise SandboxError(400, {"error": f"path must be one of {', '.join(PATHS)}"})
            seen = {scan.event for scan in shipment.scans}
            past_pickup = lifecycle.phase(shipment) in ("forward", "rto")
            steps = [
                s for s in PATHS[body["path"]] if s not in seen and not (past_pickup and EVENTS[s].phase == "booked")
            ]
        elif body.get("status"):
            steps = [str(body["status"]).upper()]
        else:
            raise SandboxError(400, {"error": "give a status or a path"})
        if "CANCELLED" in steps:
            raise SandboxError(400, {"error": "cancel through the API: POST /v1/external/orders/cancel"})
        now = sim.clock.now()
        try:
            at = parse_admin_time(body.get("at"), now)
        except ValueError as exc:
            raise SandboxError(400, {"error": f"bad at: {exc}"}) from exc
        if shipment.pickup_scheduled_at is None and any(EVENTS.get(s, EVENTS["LOST"]).phase != "booked" for s in steps):
            steps.insert(0, "PICKUP SCHEDULED")
        problem = _first_refusal(shipment, steps)
        if problem:
            raise SandboxError(
                409, {"error": problem, "current_status": tracking.webhook(order, shipment)["current_status"]}
            )
        applied: list[dict[str, Any]] = []
        for name in steps:
            if name == "PICKUP SCHEDULED" and shipment.pickup_scheduled_at is None:
                shipment.pickup_scheduled_at = next_pickup_day(at)
                shipment.pickup_generated_at = at
            moved = operations.advance(account, order, shipment, name, at, sim.ids, body.get("location"))
            webhook = tracking.webhook(order, shipment, moved.scan.event, moved.scan.at)
            delivery = await sim.send_webhook(account, webhook)
            applied.append({"status": name, "webhook_delivery": delivery})
        return JSONResponse(
            {
                "awb": awb,
                "applied": applied,
                "shipment_status": shipment.status,
                "order_status_code": order.status_code,
                "tracking": tracking.tracking(order, shipment),
            }
        )

    async def remittable(request: Request) -> Response:
        account = account_of(request.query_params)
        items = [
            {"awb": s.awb, "shipment_id": s.id, "order_id": account.orders[s.order_id].channel_order_id}
            for s in remittance.remittable(account)
        ]
        return JSONResponse({"account": account.key, "remittable": items})

    async def create_remittance(request: Request) -> Response:
        body = await admin_json(request)
        account = account_of(body)
        now = sim.clock.now()
        try:
            at = parse_admin_time(body.get("created_at"), now)
        except ValueError as exc:
            raise SandboxError(400, {"error": f"bad created_at: {exc}"}) from exc
        batch = remittance.create_batch(account, body, sim.ids, at)
        return JSONResponse(
            {"account": account.key, "remittance": views.remittance(batch), **views.remittance_lines(batch)},
            status_code=201,
        )

    async def wallet(request: Request) -> Response:
        body = await admin_json(request)
        account = account_of(body)
        value = to_decimal(body.get("balance"))
        if value is None:
            raise SandboxError(400, {"error": "balance must be an amount"})
        delta = value.quantize(Decimal("0.01")) - account.wallet
        account.book(
            next(sim.ids.ledger), sim.clock.now(), "Wallet recharge" if delta >= 0 else "Wallet adjustment", delta
        )
        return JSONResponse({"account": account.key, "balance_amount": money(account.wallet)})

    async def files(request: Request) -> Response:
        return Response(PDF, media_type="application/pdf")

    return [
        Route("/settings", settings, methods=["POST"]),
        Route("/webhook-config", webhook_config, methods=["GET", "POST"]),
        Route("/shipments/{awb}/advance", advance, methods=["POST"]),
        Route("/remittances/remittable", remittable, methods=["GET"]),
        Route("/remittances", create_remittance, methods=["POST"]),
        Route("/wallet", wallet, methods=["POST"]),
        Route("/files/{kind}/{name}", files, methods=["GET"]),
    ]


def _first_refusal(shipment: Shipment, steps: list[str]) -> str | None:
    """Check a whole path on a scratch copy, so a refused path changes nothing."""
    scratch = copy.deepcopy(shipment)
    for name in steps:
        problem = lifecycle.refusal(scratch, name)
        if problem:
            return f"{name}: {problem}"
        event = EVENTS[name]
        scratch.scans.append(Scan(scratch.updated_at, name, "", 10**9 + len(scratch.scans)))
        scratch.status = event.shipment_status
    return None
