"""Fulfilment: a confirmed Zoho sales order gets a courier and an AWB, written back onto the order.

    start ──▶ serviceability ──▶ shiprocket_order ──▶ awb ──▶ written_back
              (no courier: dead letter "serviceability_failed", cf_shipment_status "Serviceability Failed")

Decisions are pure functions (``choose_courier``, ``adhoc_order``, ``is_cod``...); ``run`` does the calls.
Creating the Shiprocket order and assigning the AWB are claimed in the effect ledger first; an attempt whose
answer was lost looks the order up (by our order id, the sales order number) before creating it again, and
an order that already carries cf_shiprocket_order_id is never created twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from workers.calls import Api, CallFailed, Refused
from workers.engine.effects import ClaimState
from workers.engine.links import Kind
from workers.engine.outcomes import Reason
from workers.flows import parcel
from workers.flows.context import FlowContext, TenantContext
from workers.flows.effects import once
from workers.flows.settings import CourierPriority, FlowSettings
from workers.flows.spec import FlowSpec

FLOW = "fulfilment"
SOURCE = Kind.ZOHO_SALESORDER
IST = ZoneInfo("Asia/Kolkata")
UNSERVICEABLE = 404
"""Shiprocket's serviceability answer for a lane no courier serves (HTTP, or ``status`` inside a 200)."""
INVENTORY = "/inventory/v1"


@dataclass(frozen=True)
class Courier:
    id: int
    name: str
    cost: Decimal
    etd_days: int
    rating: Decimal
    cod: bool


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def custom_field(record: Mapping[str, Any], api_name: str) -> str | None:
    for cf in record.get("custom_fields") or ():
        if cf.get("api_name") == api_name and cf.get("value") not in (None, ""):
            return str(cf["value"])
    value = (record.get("custom_field_hash") or {}).get(api_name)
    return str(value) if value not in (None, "") else None


def is_cod(salesorder: Mapping[str, Any], cod_terms: Sequence[str]) -> bool:
    """COD when the payment terms (or a cf_payment_method field) say so, in the tenant's words."""
    words = " ".join(
        str(v).lower()
        for v in (
            salesorder.get("payment_terms_label"),
            salesorder.get("payment_terms"),
            custom_field(salesorder, "cf_payment_method"),
        )
        if v not in (None, "")
    )
    return any(term in words for term in cod_terms)


def couriers_from(serviceability: Mapping[str, Any]) -> list[Courier]:
    companies = (serviceability.get("data") or {}).get("available_courier_companies") or []
    return [
        Courier(
            int(c["courier_company_id"]),
            str(c["courier_name"]),
            money(c.get("rate", c.get("freight_charge", 0))),
            int(str(c.get("estimated_delivery_days") or 99)),
            Decimal(str(c.get("rating") or 0)),
            bool(int(c.get("cod") or 0)),
        )
        for c in companies
        if not int(c.get("blocked") or 0)
    ]


def choose_courier(options: Sequence[Courier], priority: CourierPriority, cod: bool) -> Courier | None:
    """The best courier by the tenant's ranking among those allowed, able to collect cash when COD."""

    def allowed(c: Courier) -> bool:
        names = {c.name.lower(), str(c.id)}
        return (
            (not cod or c.cod)
            and not (names & priority.blocked)
            and (not priority.allowed or bool(names & priority.allowed))
            and (priority.max_etd_days is None or c.etd_days <= priority.max_etd_days)
            and (priority.min_rating is None or c.rating >= priority.min_rating)
        )

    keys: dict[str, Callable[[Courier], Decimal]] = {
        "cost": lambda c: c.cost,
        "etd": lambda c: Decimal(c.etd_days),
        "rating": lambda c: -c.rating,
    }
    candidates = [c for c in options if allowed(c)]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (*(keys[k](c) for k in priority.rank_by), c.id))


def weight_kg(salesorder: Mapping[str, Any], settings: FlowSettings) -> Decimal:
    units = sum(Decimal(str(line.get("quantity") or 0)) for line in salesorder.get("line_items") or ())
    return max(Decimal("0.5"), units * settings.package.weight_kg_per_unit)


def order_date_ist(salesorder: Mapping[str, Any]) -> str:
    """Shiprocket's order_date, ``yyyy-mm-dd HH:MM`` in IST, from the order's created time (any zone)."""
    created = salesorder.get("created_time")
    if created:
        at = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%S%z")
        return at.astimezone(IST).strftime("%Y-%m-%d %H:%M")
    return f"{salesorder['date']} 00:00"


def adhoc_order(
    salesorder: Mapping[str, Any], contact: Mapping[str, Any], settings: FlowSettings, cod: bool
) -> dict[str, Any]:
    """The Shiprocket adhoc order for a sales order (amounts in INR, exact to the paisa)."""
    address = contact.get("shipping_address") or contact.get("billing_address") or {}
    missing = [f for f in ("address", "city", "state", "zip") if not address.get(f)]
    if missing:
        raise Refused(Reason.INVALID_SOURCE_DATA, f"customer's shipping address lacks {', '.join(missing)}")
    if str(salesorder.get("currency_code") or "INR") != "INR":
        raise Refused(
            Reason.INVALID_SOURCE_DATA, f"Shiprocket takes INR; the order is in {salesorder['currency_code']}"
        )
    lines = salesorder.get("line_items") or []
    if not lines:
        raise Refused(Reason.INVALID_SOURCE_DATA, "the sales order has no line items")
    unmapped = [str(line.get("name") or line.get("item_id")) for line in lines if not line.get("sku")]
    if unmapped:
        raise Refused(Reason.UNMAPPED_SKU, f"items without a SKU: {', '.join(unmapped)}")
    name = str(contact.get("contact_name") or salesorder.get("customer_name") or "").strip()
    first, _, last = name.partition(" ")
    shipping = money(salesorder.get("shipping_charge") or 0)
    total = money(salesorder["total"])
    phone = "".join(ch for ch in str(address.get("phone") or contact.get("phone") or "") if ch.isdigit())[-10:]
    package = settings.package
    return {
        "order_id": str(salesorder["salesorder_number"]),
        "order_date": order_date_ist(salesorder),
        "pickup_location": settings.pickup_for(salesorder.get("location_id")).location,
        "billing_customer_name": first,
        "billing_last_name": last,
        "billing_address": str(address["address"]),
        "billing_city": str(address["city"]),
        "billing_pincode": str(address["zip"]),
        "billing_state": str(address["state"]),
        "billing_country": str(address.get("country") or "India"),
        "billing_email": str(contact.get("email") or ""),
        "billing_phone": phone,
        "shipping_is_billing": True,
        "order_items": [
            {
                "name": str(line.get("name")),
                "sku": str(line["sku"]),
                "units": int(Decimal(str(line["quantity"]))),
                "selling_price": money(line.get("rate") or 0),
            }
            for line in lines
        ],
        "payment_method": "COD" if cod else "Prepaid",
        "shipping_charges": shipping,
        "sub_total": total - shipping,
        "length": package.length_cm,
        "breadth": package.breadth_cm,
        "height": package.height_cm,
        "weight": weight_kg(salesorder, settings),
    }


MONEY_FIELDS = ("selling_price", "shipping_charges", "sub_total", "weight")


def kept(order: Mapping[str, Any]) -> dict[str, Any]:
    """The adhoc order as stored in the record's payload: amounts as exact decimal strings, never floats."""
    return json.loads(json.dumps(order, default=str))  # type: ignore[no-any-return]


def restored(stored: Mapping[str, Any]) -> dict[str, Any]:
    """``kept``'s inverse: the amounts Decimal again."""
    order = {k: Decimal(v) if k in MONEY_FIELDS else v for k, v in stored.items()}
    order["order_items"] = [
        {k: Decimal(v) if k in MONEY_FIELDS else v for k, v in line.items()} for line in stored["order_items"]
    ]
    return order


def decimal_json(response_text: str) -> Any:
    return json.loads(response_text, parse_float=Decimal)


async def _zoho_salesorder(zoho: Api, salesorder_id: str) -> dict[str, Any]:
    answer = decimal_json((await zoho.call("GET", f"{INVENTORY}/salesorders/{salesorder_id}")).text)
    return dict(answer["salesorder"])


async def _adhoc_order(zoho: Api, salesorder: Mapping[str, Any], settings: FlowSettings, cod: bool) -> dict[str, Any]:
    contact_id = salesorder.get("customer_id")
    contact = decimal_json((await zoho.call("GET", f"{INVENTORY}/contacts/{contact_id}")).text)["contact"]
    return adhoc_order(salesorder, contact, settings, cod)


async def write_back(zoho: Api, salesorder_id: str, fields: Mapping[str, str]) -> None:
    body = {"custom_fields": [{"api_name": name, "value": value} for name, value in fields.items()]}
    await zoho.call("PUT", f"{INVENTORY}/salesorders/{salesorder_id}", json=body)


async def _find_shiprocket_order(shiprocket: Api, our_order_id: str) -> dict[str, Any] | None:
    """The Shiprocket order we created under our order id, if an earlier attempt's answer was lost."""
    found = (await shiprocket.call("GET", "/orders", params={"search": our_order_id})).json()
    for order in found.get("data") or []:
        if str(order.get("channel_order_id")) == our_order_id:
            shipments = order.get("shipments") or [{}]
            return {"order_id": order.get("id"), "shipment_id": shipments[0].get("id")}
    return None


async def run(ctx: FlowContext) -> None:
    record, settings = ctx.record, ctx.settings
    salesorder_id = str((record.payload or {})["salesorder_id"])
    zoho, shiprocket = await ctx.api("zoho"), await ctx.api("shiprocket")
    salesorder = await _zoho_salesorder(zoho, salesorder_id)
    number = str(salesorder["salesorder_number"])
    if ctx.step == "start":
        existing = custom_field(salesorder, "cf_shiprocket_order_id")
        if existing and custom_field(salesorder, "cf_awb_number"):
            await ctx.skip(f"{number} already has Shiprocket order {existing} and an AWB")
            return
        await ctx.advance("fetched", {"salesorder_number": number}, link=(Kind.ZOHO_SALESORDER_NUMBER, number))
    cod = is_cod(salesorder, settings.cod_terms)
    if ctx.step == "fetched":
        order = await _adhoc_order(zoho, salesorder, settings, cod)
        pickup = settings.pickup_for(salesorder.get("location_id"))
        params = {
            "pickup_postcode": pickup.pincode,
            "delivery_postcode": order["billing_pincode"],
            "weight": str(order["weight"]),
            "cod": int(cod),
            "declared_value": str(money(salesorder["total"])),
        }
        try:
            offered = couriers_from((await shiprocket.call("GET", "/courier/serviceability/", params=params)).json())
        except CallFailed as failed:
            if failed.status != UNSERVICEABLE:
                raise
            offered = []  # Shiprocket answers an unserviceable lane with a 404: no courier, not a refusal
        courier = choose_courier(offered, settings.couriers, cod)
        if courier is None:
            await write_back(zoho, salesorder_id, {"cf_shipment_status": "Serviceability Failed"})
            await ctx.alert(
                "serviceability_failed",
                f"No courier can take {number} from {pickup.pincode} to {order['billing_pincode']}"
                f" ({'COD' if cod else 'Prepaid'})",
                {"salesorder_number": number, "delivery_pincode": order["billing_pincode"], "cod": cod},
            )
            raise Refused(
                Reason.SERVICEABILITY_FAILED,
                f"no allowed courier serves {pickup.pincode} → {order['billing_pincode']}{' with COD' if cod else ''}",
            )
        await ctx.advance(
            "courier_chosen",
            {"courier_id": str(courier.id), "courier_name": courier.name, "payment_method": order["payment_method"]},
            payload={"adhoc_order": kept(order)},
            claim=f"shiprocket:order:{number}",  # the next step's create, claimed with this one
        )
    if ctx.step == "courier_chosen":
        # The order as built when the courier was chosen: the same body on every attempt, no second look-up.
        stored = (ctx.record.payload or {}).get("adhoc_order")
        order = restored(stored) if stored else await _adhoc_order(zoho, salesorder, settings, cod)

        async def create() -> dict[str, Any]:
            answer = (await shiprocket.call("POST", "/orders/create/adhoc", json=order, idempotent=False)).json()
            return {"order_id": answer["order_id"], "shipment_id": answer["shipment_id"]}

        # An earlier attempt may have created it and lost the answer: then the order is found under our id.
        created = await once(
            ctx, f"shiprocket:order:{number}", lambda: _find_shiprocket_order(shiprocket, number), create
        )
        await write_back(zoho, salesorder_id, {"cf_shiprocket_order_id": str(created["order_id"])})
        await ctx.advance(
            "shiprocket_order",
            {"shiprocket_order_id": str(created["order_id"]), "shiprocket_shipment_id": str(created["shipment_id"])},
            link=(Kind.SHIPROCKET_ORDER, str(created["order_id"])),
            also=[(Kind.SHIPROCKET_SHIPMENT, str(created["shipment_id"]))],
            claim=f"shiprocket:awb:{created['shipment_id']}",  # the next step's AWB, claimed with this one
        )
    if ctx.step == "shiprocket_order":
        refs = ctx.record.target_refs
        shipment_id = refs["shiprocket_shipment_id"]
        key = f"shiprocket:awb:{shipment_id}"
        claim = await ctx.claim(key)
        assigned, completes = claim.result, None
        if claim.state is not ClaimState.DONE:
            # Assigning again is refused once an AWB exists, so look first when an answer went missing.
            shipment: dict[str, Any] = {}
            if claim.state is ClaimState.UNKNOWN:
                shipment = (await shiprocket.call("GET", f"/shipments/{shipment_id}")).json().get("data") or {}
            if shipment.get("awb"):
                assigned = {"awb": str(shipment["awb"]), "courier_name": str(shipment.get("courier") or "")}
            else:
                body = {"shipment_id": int(shipment_id), "courier_id": int(refs["courier_id"])}
                answer = (await shiprocket.call("POST", "/courier/assign/awb", json=body, idempotent=False)).json()
                data = (answer.get("response") or {}).get("data") or {}
                if not int(answer.get("awb_assign_status") or 0) or not data.get("awb_code"):
                    await ctx.release(key)
                    message = data.get("awb_assign_error") or answer.get("message") or "AWB not assigned"
                    raise Refused(Reason.PROVIDER_REJECTED, f"Shiprocket did not assign an AWB: {message}")
                assigned = {"awb": str(data["awb_code"]), "courier_name": str(data.get("courier_name") or "")}
            # Completed with the step, in its transaction: should that never commit, the claim stays open and the
            # next attempt looks the AWB up (above) before assigning one.
            completes = (key, assigned)
        assert assigned is not None
        courier_name = assigned["courier_name"] or refs.get("courier_name", "")
        await ctx.advance(
            "awb",
            {"awb": assigned["awb"], "courier_name": courier_name},
            link=(Kind.AWB, assigned["awb"]),
            completes=completes,
        )
    if ctx.step == "awb":
        refs = ctx.record.target_refs
        fields = {
            "cf_awb_number": refs["awb"],
            "cf_courier_partner": refs["courier_name"],
            "cf_shiprocket_order_id": refs["shiprocket_order_id"],
        }
        # Under the parcel's lock: a tracking event that came first (the courier picked it up already) keeps
        # its status, "AWB Assigned" never moves the order back.
        async with parcel.parcel_lock(ctx, refs["awb"]):
            if await parcel.furthest_decided(ctx, refs["awb"]) is None:
                fields["cf_shipment_status"] = settings.status_map.get("AWB ASSIGNED", "AWB Assigned")
            await write_back(zoho, salesorder_id, fields)
            await ctx.advance("written_back", {}, last=True)


def route(provider: str, body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A Zoho sales-order webhook for a confirmed order starts its fulfilment."""
    order = body.get("salesorder") if provider == "zoho" else None
    if not isinstance(order, dict) or str(order.get("status") or order.get("order_status") or "") != "confirmed":
        return []
    salesorder_id = str(order["salesorder_id"])
    return [(f"{SOURCE}:{salesorder_id}", {"salesorder_id": salesorder_id})]


def zoho_time(at: datetime) -> str:
    """An instant as Zoho writes timestamps (``2026-01-07T06:36:10+0000``)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def awaiting_shipment(
    orders: Iterable[Mapping[str, Any]], start: datetime, end: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """Listed sales orders last modified in ``[start, end)`` that carry no AWB yet, as records to start (pure)."""
    found = []
    for order in orders:
        modified = order.get("last_modified_time")
        at = datetime.strptime(str(modified), "%Y-%m-%dT%H:%M:%S%z") if modified else None
        if order.get("cf_awb_number") or custom_field(order, "cf_awb_number") or (at and not start <= at < end):
            continue
        salesorder_id = str(order["salesorder_id"])
        found.append((f"{SOURCE}:{salesorder_id}", {"salesorder_id": salesorder_id}))
    return found


async def discover(ctx: TenantContext, start: datetime, end: datetime) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Confirmed sales orders last modified in the window and not shipped: the ones whose webhook never came.

    Zoho filters ``last_modified_time`` from ``start`` on; the window's end is applied here. Pages go by
    creation time, which the flow's own write-backs do not change, so no order slips between pages."""
    zoho = await ctx.api("zoho")
    page = 1
    while True:
        params = {
            "filter_by": "Status.Confirmed",
            "last_modified_time": zoho_time(start),
            "sort_column": "created_time",
            "sort_order": "A",
            "page": page,
            "per_page": 200,
        }
        answer = decimal_json((await zoho.call("GET", f"{INVENTORY}/salesorders", params=params)).text)
        for source, payload in awaiting_shipment(answer.get("salesorders") or [], start, end):
            yield source, {**payload, "connection_id": zoho.ref["connection_id"]}
        if not (answer.get("page_context") or {}).get("has_more_page"):
            return
        page += 1


SPEC = FlowSpec(FLOW, run, route=route, discover=discover)
