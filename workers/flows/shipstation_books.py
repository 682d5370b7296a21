"""ShipStation → Zoho Books: orders become invoices, shipments become shipping costs and tracking on the invoice,
customers become contacts (``shipstation_data`` holds the pure mapping).

Where records come from:
    a poll or a backfill    ``discover``: orders by modifyDate (edits included), shipments by createDate,
                            voids by voidDate, in the window; resumable from the run's cursor
    a webhook pointer       ``shipstation_resource:<type>:<url>``: its run follows ``resource_url`` (only to
                            the connection's own host) and starts a record per order or shipment it names
    a Books contact hook    ``books_contact:<id>``: linked by email so ShipStation orders reuse it

Records (each one idempotent, every Books create claimed in the effect ledger):
    shipstation_order:<orderId>@<modified UTC>   one per version of an order. Under the order's lock, a version
                      older than one already booked is skipped; otherwise the customer's contact is found by
                      email or created, and the invoice (keyed ``cf_channel_order_id = shipstation:<orderKey>``)
                      created, updated to the order as it is now, or voided when the order was cancelled
    shipstation_shipment:<shipmentId>   the cost as a journal entry (expense debited, paying account credited),
                      the carrier and tracking number on the order's invoice
    shipstation_void:<shipmentId>       the journal entry reversed, the invoice's tracking cleared if it is this
                      label's
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import or_, select

from tenants.db import tenant_session
from tenants.models import Link, Record
from workers.calls import Api, CallFailed, Refused, plain
from workers.engine.links import Kind
from workers.engine.outcomes import Outcome, Reason, Verdict
from workers.flows import books, locks
from workers.flows.context import FlowContext, TenantContext
from workers.flows.effects import once
from workers.flows.fulfilment import decimal_json
from workers.flows.settings import FlowSettings
from workers.flows.shipstation_data import (
    CHANNEL_KEY,
    CUSTOMER_KEY,
    Order,
    Shipment,
    ShippingAccounts,
    Unbookable,
    channel_key,
    contact_body,
    customer_key,
    fields_of,
    from_pacific,
    invoice_body,
    journal_body,
    journal_reference,
    parse_order,
    parse_shipment,
    rate_for,
    to_pacific,
    tracking_fields,
    version,
)
from workers.flows.spec import Estimated, FlowSpec, Routed

FLOW = "shipstation-books"
BOOKS = books.BOOKS
PAGE_SIZE = 500
"""ShipStation's largest page: a backfill of 2,000 orders lists them in four calls."""

MODIFIED = "modified_at"
"""The payload's UTC instant of the order version (as the listing settled it)."""

ORDER, SHIPMENT, VOID, RESOURCE, CONTACT = (
    "shipstation_order",
    "shipstation_shipment",
    "shipstation_void",
    "shipstation_resource",
    "books_contact",
)


def _refused(exc: Unbookable) -> Refused:
    return Refused(Reason.INVALID_SOURCE_DATA, str(exc))


# ------------------------------------------------------------------------------------------ where records come from
def route(provider: str, body: dict[str, Any]) -> list[Routed]:
    """A ShipStation pointer (``{resource_url, resource_type}``) or a Books contact webhook → its record."""
    if provider == "shipstation":
        url, kind = body.get("resource_url"), body.get("resource_type")
        if isinstance(url, str) and url and isinstance(kind, str) and kind:
            return [(_resource_source(kind, url), {"resource_url": url, "resource_type": kind})]
        return []
    contact = body.get("contact") if provider == "zoho" else None
    if isinstance(contact, dict) and contact.get("contact_id"):
        return [(f"{CONTACT}:{contact['contact_id']}", {"contact": contact})]
    return []


def _resource_source(kind: str, url: str) -> str:
    source = f"{RESOURCE}:{kind}:{url}"
    if len(source) <= 200:
        return source
    return f"{RESOURCE}:{kind}:sha256:{hashlib.sha256(url.encode()).hexdigest()}"


def order_routed(raw: Mapping[str, Any], after: datetime | None = None) -> Routed:
    """One order version's record; an order that cannot be read is still kept (its run says why). ``after``:
    the modifyDate of the order listed before it (by modifyDate, ascending), which settles a wall time of the
    repeated fall-back hour; the instant is kept in the payload, so the record's run reads it the same way."""
    try:
        order = parse_order(raw, after=after)
        return order.source, {"order": plain(raw), MODIFIED: order.modified_at.isoformat()}
    except Unbookable:
        return f"{ORDER}:{raw.get('orderId')}@unreadable:{raw.get('modifyDate')}"[:200], {"order": plain(raw)}


def shipment_routed(raw: Mapping[str, Any]) -> list[Routed]:
    """A shipment's record, and its void's when the label is voided."""
    sid = raw.get("shipmentId")
    found: list[Routed] = [(f"{SHIPMENT}:{sid}", {"shipment": plain(raw)})]
    if raw.get("voided"):
        found.append((f"{VOID}:{sid}", {"shipment": plain(raw)}))
    return found


async def pages(ss: Api, path: str, params: Mapping[str, Any], key: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of a V1 list (``{<key>, total, page, pages}``), first to last."""
    page = 1
    while True:
        answer = decimal_json((await ss.call("GET", path, params={**params, "page": page})).text)
        rows = answer.get(key) or []
        if rows:
            yield rows
        if page >= int(answer.get("pages") or 0) or not rows:
            return
        page += 1


PHASES: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("orders", "/orders", "modifyDate", {"sortBy": "ModifyDate", "sortDir": "ASC"}),
    ("shipments", "/shipments", "createDate", {"sortBy": "CreateDate", "sortDir": "ASC"}),
    ("voids", "/shipments", "voidDate", {}),
)


async def discover(ctx: TenantContext, start: datetime, end: datetime) -> AsyncIterator[Routed]:
    """Orders modified, shipments created and labels voided in the window, in that order. After each page the
    run's cursor keeps the phase and the last instant seen, so a pass that starts again resumes there."""
    ss = await ctx.api("shipstation")
    cursor = ctx.cursor or {}
    names = [name for name, *_ in PHASES]
    begin = names.index(cursor["phase"]) if cursor.get("phase") in names else 0
    for name, path, stamp, order in PHASES[begin:]:
        since = (
            datetime.fromisoformat(cursor["since"]) if cursor.get("phase") == name and cursor.get("since") else start
        )
        params = {f"{stamp}Start": to_pacific(since), f"{stamp}End": to_pacific(end), "pageSize": PAGE_SIZE, **order}
        async for rows in pages(ss, path, params, "orders" if name == "orders" else "shipments"):
            last = since
            previous: datetime | None = None
            for raw in rows:
                if name == "orders":
                    source, payload = order_routed(raw, previous)
                    previous = datetime.fromisoformat(payload[MODIFIED]) if MODIFIED in payload else previous
                    yield source, payload
                else:
                    for routed in shipment_routed(raw):
                        if name == "shipments" or routed[0].startswith(VOID):
                            yield routed
                last = max(last, (previous if name == "orders" else None) or _instant(raw.get(stamp)) or last)
            await ctx.checkpoint({"phase": name, "since": last.isoformat()})
        if name != PHASES[-1][0]:
            await ctx.checkpoint({"phase": names[names.index(name) + 1]})


def _instant(value: Any) -> datetime | None:
    try:
        return from_pacific(value) if value else None
    except Unbookable:
        return None


# -------------------------------------------------------------------------------------------------- the records
async def run(ctx: FlowContext) -> None:
    kind = ctx.record.source_ref.partition(":")[0]
    payload = ctx.record.payload or {}
    if kind == ORDER:
        await _order(ctx, payload.get("order") or {}, payload.get(MODIFIED))
    elif kind == SHIPMENT:
        await _shipment(ctx, payload.get("shipment") or {})
    elif kind == VOID:
        await _void(ctx, payload.get("shipment") or {})
    elif kind == RESOURCE:
        await _resource(ctx, str(payload.get("resource_url") or ""), str(payload.get("resource_type") or ""))
    elif kind == CONTACT:
        await _books_contact(ctx, payload.get("contact") or {})
    else:
        raise Refused(Reason.INVALID_SOURCE_DATA, f"{ctx.record.source_ref}: not a record this flow knows")


# ---- webhook pointers
async def _resource(ctx: FlowContext, url: str, kind: str) -> None:
    ss = await ctx.api("shipstation")
    base = urlsplit(await ss.base_url())
    target = urlsplit(url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        raise Refused(
            Reason.INVALID_SOURCE_DATA,
            f"the {kind} pointer names {target.scheme}://{target.netloc}; only the connection's own host "
            f"{base.scheme}://{base.netloc} is followed",
        )
    path = target.path[len(base.path.rstrip("/")) :] if base.path.rstrip("/") else target.path
    params = dict(parse_qsl(target.query))
    started = known = 0
    for key in ("orders", "shipments"):
        if not path.rstrip("/").endswith(f"/{key}"):
            continue
        async for rows in pages(ss, path, params, key):
            for raw in rows:
                for source, payload in [order_routed(raw)] if key == "orders" else shipment_routed(raw):
                    new = await ctx.spawn(FLOW, source, payload)
                    started, known = started + new, known + (not new)
    if "/orders" not in path and "/shipments" not in path:
        raise Refused(Reason.INVALID_SOURCE_DATA, f"the {kind} pointer names {target.path}, not orders or shipments")
    await ctx.advance("followed", {"started": str(started), "known": str(known)})


# ---- orders
async def _order(ctx: FlowContext, raw: Mapping[str, Any], modified: str | None) -> None:
    try:
        order = parse_order(raw)
    except Unbookable as exc:
        raise _refused(exc) from None
    if modified:  # as the listing settled it (the repeated fall-back hour)
        order = replace(order, modified_at=datetime.fromisoformat(modified))
    zoho = await ctx.api("zoho")
    body: dict[str, Any] | None = None
    if not order.cancelled:
        home, unmarked = await _home(ctx, zoho), ctx.settings.shipstation_books.shipstation_currency
        try:
            rate = rate_for(order, home, ctx.settings.shipstation_books.exchange_rates, unmarked)
            invoice_body(order, "", rate, home, unmarked)  # refuse a body Books cannot take before any call
        except Unbookable as exc:
            raise _refused(exc) from None
        async with locks.held(ctx, f"ss-customer:{order.email or order.customer_name}", what="the customer"):
            contact_id = await _contact(ctx, zoho, order)
        body = invoice_body(order, contact_id, rate, home, unmarked)
    async with locks.held(ctx, f"ss-order:{order.order_id}", what=f"order {order.number}"):
        newer = await _newer_booked(ctx, order)
        if newer is not None:
            await ctx.skip(f"a later edit of order {order.number} ({newer}) is already in Books")
        invoice = await _invoice(zoho, order.order_key)
        if order.cancelled:
            await _cancel(ctx, zoho, order, invoice)
            return
        assert body is not None
        invoice = await _book(ctx, zoho, order, invoice, body)
        await ctx.advance(
            "invoiced",
            {"invoice_id": str(invoice["invoice_id"]), "invoice_number": str(invoice.get("invoice_number") or "")},
            link=(Kind.BOOKS_INVOICE, str(invoice["invoice_id"])),
            also=[
                (Kind.SHIPSTATION_ORDER, order.order_id),
                (Kind.SHIPSTATION_ORDER_NUMBER, order.number),
                (Kind.BOOKS_CONTACT, str(body["customer_id"])),
            ],
        )


CURRENCIES: dict[tuple[str, str], str] = {}
"""The Books organisation's currency per (tenant, connection), asked once per worker (Books fixes an
organisation's base currency once it has transactions)."""


async def _home(ctx: FlowContext, zoho: Api) -> str:
    """The currency the books are kept in: the tenant's setting, else the organisation's as Books says."""
    configured = ctx.settings.shipstation_books.books_currency
    if configured:
        return configured
    org = await zoho.param("organization_id") or ""
    key = (str(ctx.tenant_id), org)
    if key not in CURRENCIES:
        answer = (await zoho.call("GET", f"{BOOKS}/organizations")).json()
        found = [o for o in answer.get("organizations") or [] if str(o.get("organization_id")) == org]
        if not found or not found[0].get("currency_code"):
            raise Refused(Reason.INVALID_SOURCE_DATA, f"Zoho Books does not say organisation {org}'s currency")
        CURRENCIES[key] = str(found[0]["currency_code"]).upper()
    return CURRENCIES[key]


async def _newer_booked(ctx: FlowContext, order: Order) -> str | None:
    """The latest version of this order already booked by another record, when it is later than this one."""
    mine = version(order.modified_at)
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        sources = (
            await session.execute(
                select(Record.source_ref).where(
                    Record.flow == FLOW,
                    Record.source_ref.startswith(f"{ORDER}:{order.order_id}@", autoescape=True),
                    Record.id != ctx.record.id,
                    or_(Record.state == "succeeded", Record.step.in_(("invoiced", "voided"))),
                )
            )
        ).scalars()
        later = [s.partition("@")[2] for s in sources if s.partition("@")[2] > mine]
    return max(later) if later else None


async def _invoice(zoho: Api, order_key: str) -> dict[str, Any] | None:
    """The order's invoice in Books (a list row), found by its channel key; None when it has none."""
    key = channel_key(order_key)
    answer = decimal_json((await zoho.call("GET", f"{BOOKS}/invoices", params={CHANNEL_KEY: key})).text)
    for row in answer.get("invoices") or []:
        if fields_of(row).get(CHANNEL_KEY) == key:
            return dict(row)
    return None


def _kept(invoice: Mapping[str, Any]) -> dict[str, Any]:
    """What the effect ledger keeps of an invoice (JSON: the total as text)."""
    return {
        "invoice_id": str(invoice["invoice_id"]),
        "invoice_number": str(invoice.get("invoice_number") or ""),
        "status": str(invoice.get("status") or "draft"),
        "total": str(invoice.get("total") if invoice.get("total") is not None else ""),
    }


async def _book(
    ctx: FlowContext, zoho: Api, order: Order, found: dict[str, Any] | None, body: dict[str, Any]
) -> dict[str, Any]:
    """The invoice made to match the order: created once, or updated (a voided one drafted again first); sent."""
    if found is None:

        async def look() -> dict[str, Any] | None:
            row = await _invoice(zoho, order.order_key)
            return _kept(row) if row else None

        async def make() -> dict[str, Any]:
            made = await zoho.call("POST", f"{BOOKS}/invoices", json=body, idempotent=False)
            return _kept(decimal_json(made.text)["invoice"])

        made = await once(ctx, f"books:invoice:{channel_key(order.order_key)}", look, make)
        invoice_id = made["invoice_id"]
        status = made["status"]
        if not made["total"] or books.money(made["total"]) != books.money(body_total(body)):
            # made by an earlier attempt from an older body, or found without its total: bring it up to date
            status = await _update(zoho, invoice_id, status, body)
    else:
        invoice_id = str(found["invoice_id"])
        status = await _update(zoho, invoice_id, str(found.get("status") or ""), body)
        made = found
    if status == "draft":
        await zoho.call("POST", f"{BOOKS}/invoices/{invoice_id}/status/sent")
    return {**made, "invoice_id": invoice_id}


def body_total(body: Mapping[str, Any]) -> Any:
    """What Books will total the body to: its lines, shipping and adjustment (pure)."""
    lines = sum(books.money(li["rate"] * li["quantity"]) for li in body["line_items"])
    return lines + body["shipping_charge"] + body["adjustment"]


async def _update(zoho: Api, invoice_id: str, status: str, body: dict[str, Any]) -> str:
    if status == "void":
        await zoho.call("POST", f"{BOOKS}/invoices/{invoice_id}/status/draft")
        status = "draft"
    await zoho.call("PUT", f"{BOOKS}/invoices/{invoice_id}", json=body)
    return status


async def _cancel(ctx: FlowContext, zoho: Api, order: Order, invoice: dict[str, Any] | None) -> None:
    if invoice is None:
        await ctx.skip(f"order {order.number} was cancelled before it was invoiced")
        return
    invoice_id = str(invoice["invoice_id"])
    if invoice.get("status") != "void":
        if books.money(invoice.get("total", 0)) != books.money(invoice.get("balance", invoice.get("total", 0))):
            raise Refused(
                Reason.PROVIDER_REJECTED,
                f"order {order.number} was cancelled but its invoice {invoice.get('invoice_number')} has payments; "
                "refund or unapply them in Books, then replay",
            )
        await zoho.call("POST", f"{BOOKS}/invoices/{invoice_id}/status/void")
    await ctx.advance(
        "voided",
        {"invoice_id": invoice_id},
        link=(Kind.BOOKS_INVOICE, invoice_id),
        also=[(Kind.SHIPSTATION_ORDER, order.order_id), (Kind.SHIPSTATION_ORDER_NUMBER, order.number)],
    )


# ---- customers
async def _contact(ctx: FlowContext, zoho: Api, order: Order) -> str:
    """The Books contact for the order's customer: linked before, found by email, or made (once)."""
    who = order.email or order.customer_name.lower()
    linked = await _linked_contact(ctx, who)
    if linked:
        return linked
    found = await _contact_by_email(zoho, order.email) if order.email else None
    key = customer_key(who)
    if found is None:

        async def look() -> dict[str, Any] | None:
            answer = decimal_json((await zoho.call("GET", f"{BOOKS}/contacts", params={CUSTOMER_KEY: key})).text)
            rows = [r for r in answer.get("contacts") or [] if fields_of(r).get(CUSTOMER_KEY) == key]
            return {"contact_id": str(rows[0]["contact_id"])} if rows else None

        async def make() -> dict[str, Any]:
            for taken in (False, True):
                try:
                    answer = await zoho.call(
                        "POST", f"{BOOKS}/contacts", json=contact_body(order, taken), idempotent=False
                    )
                except CallFailed as failed:
                    if taken or failed.status != 400 or "already exists" not in failed.verdict.message:
                        raise
                    continue
                return {"contact_id": str(decimal_json(answer.text)["contact"]["contact_id"])}
            raise AssertionError("unreachable")

        found = await once(ctx, f"books:contact:{key}", look, make)
    contact_id = str(found["contact_id"])
    await ctx.link((Kind.SHIPSTATION_CUSTOMER, who), (Kind.BOOKS_CONTACT, contact_id))
    return contact_id


async def _linked_contact(ctx: FlowContext, who: str) -> str | None:
    """A contact already linked to the customer (links keep their pair sorted: the contact is side a)."""
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        row = (
            await session.execute(
                select(Link.ref_a)
                .where(Link.kind_a == Kind.BOOKS_CONTACT, Link.kind_b == Kind.SHIPSTATION_CUSTOMER, Link.ref_b == who)
                .limit(1)
            )
        ).first()
    return None if row is None else str(row[0])


async def _contact_by_email(zoho: Api, email: str) -> dict[str, Any] | None:
    answer = decimal_json((await zoho.call("GET", f"{BOOKS}/contacts", params={"email": email})).text)
    for row in answer.get("contacts") or []:
        if str(row.get("email") or "").strip().lower() == email and row.get("status") != "inactive":
            return {"contact_id": str(row["contact_id"])}
    return None


async def _books_contact(ctx: FlowContext, contact: Mapping[str, Any]) -> None:
    """A contact made in Books. One this flow made from a ShipStation customer goes no further (no ping-pong);
    any other is linked by email, so that customer's ShipStation orders are booked to it. ShipStation's V1 API
    cannot create customers (they come into being with their first order), so nothing is sent there."""
    contact_id = str(contact.get("contact_id") or "")
    if str(fields_of(contact).get(CUSTOMER_KEY) or "").startswith("ss:"):
        await ctx.skip("made from a ShipStation customer by this flow; not sent back")
    email = str(contact.get("email") or "").strip().lower()
    if not email:
        await ctx.skip("the contact has no email, which is how ShipStation customers are matched")
    await ctx.link((Kind.SHIPSTATION_CUSTOMER, email), (Kind.BOOKS_CONTACT, contact_id))
    await ctx.advance("linked", {"email": email})


# ---- shipments
def _shipment_of(raw: Mapping[str, Any]) -> Shipment:
    try:
        return parse_shipment(raw)
    except Unbookable as exc:
        raise _refused(exc) from None


async def _accounts(ctx: FlowContext, zoho: Api) -> ShippingAccounts:
    chart = await books.active_accounts(zoho)
    names = ctx.settings.shipstation_books
    missing = [
        f"{name!r} (setting shipstation_books.{setting})"
        for setting, name in (
            ("shipping_expense_account", names.shipping_expense_account),
            ("shipping_paid_through_account", names.shipping_paid_through_account),
        )
        if name.lower() not in chart
    ]
    if missing:
        raise Refused(Reason.INVALID_SOURCE_DATA, f"Zoho Books has no active account named {', '.join(missing)}")
    return ShippingAccounts(
        chart[names.shipping_expense_account.lower()], chart[names.shipping_paid_through_account.lower()]
    )


async def _journal(ctx: FlowContext, zoho: Api, shipment: Shipment, *, reverse: bool) -> str | None:
    """The shipping cost's journal entry (or its reversal), made once; None when the label cost nothing."""
    if not shipment.cost:
        return None
    reference = journal_reference(shipment, reverse)

    async def look() -> dict[str, Any] | None:
        return await _journal_by_reference(zoho, reference)

    async def make() -> dict[str, Any]:
        body = journal_body(shipment, await _accounts(ctx, zoho), reverse=reverse)
        answer = await zoho.call("POST", f"{BOOKS}/journals", json=body, idempotent=False)
        return {"journal_id": str(decimal_json(answer.text)["journal"]["journal_id"])}

    return str((await once(ctx, f"books:journal:{reference}", look, make))["journal_id"])


async def _journal_by_reference(zoho: Api, reference: str) -> dict[str, Any] | None:
    answer = decimal_json((await zoho.call("GET", f"{BOOKS}/journals", params={"reference_number": reference})).text)
    for row in answer.get("journals") or []:
        if str(row.get("reference_number")) == reference:
            return {"journal_id": str(row["journal_id"])}
    return None


async def _shipment(ctx: FlowContext, raw: Mapping[str, Any]) -> None:
    shipment = _shipment_of(raw)
    zoho = await ctx.api("zoho")
    also = [(Kind.SHIPSTATION_ORDER, shipment.order_id)] if shipment.order_id else []
    if shipment.tracking:
        also.append((Kind.TRACKING_NUMBER, shipment.tracking))
    if "journal_id" not in ctx.record.target_refs and ctx.step != "journaled":
        journal = await _journal(ctx, zoho, shipment, reverse=False)
        refs = {"journal_id": journal} if journal else {}
        await ctx.advance("journaled", refs, link=(Kind.BOOKS_JOURNAL, journal) if journal else None, also=also)
    await _tracking(ctx, zoho, shipment, voided=False)


async def _void(ctx: FlowContext, raw: Mapping[str, Any]) -> None:
    shipment = _shipment_of(raw)
    zoho = await ctx.api("zoho")
    if ctx.step != "journaled":
        booked = await _journal_by_reference(zoho, journal_reference(shipment)) if shipment.cost else None
        journal = await _journal(ctx, zoho, shipment, reverse=True) if booked else None
        refs = {"journal_id": journal} if journal else {}
        await ctx.advance(
            "journaled",
            refs,
            link=(Kind.BOOKS_JOURNAL, journal) if journal else None,
            also=[(Kind.SHIPSTATION_SHIPMENT, shipment.shipment_id)],
        )
    await _tracking(ctx, zoho, shipment, voided=True)


async def _tracking(ctx: FlowContext, zoho: Api, shipment: Shipment, *, voided: bool) -> None:
    """The carrier and tracking number on the order's invoice (cleared by a void that still shows there)."""
    if not shipment.order_id:
        await ctx.advance("tracked", {})
        return
    async with locks.held(ctx, f"ss-order:{shipment.order_id}", what=f"order {shipment.order_number}"):
        invoice = await _booked_invoice(ctx, zoho, shipment)
        if invoice is None:
            await ctx.advance("tracked", {"invoice": "none: the order was cancelled before it was invoiced"})
            return
        invoice_id = str(invoice["invoice_id"])
        change = tracking_fields(fields_of(invoice), shipment, voided=voided)
        if change is not None and invoice.get("status") != "void":
            await zoho.call("PUT", f"{BOOKS}/invoices/{invoice_id}", json={"custom_fields": change})
        await ctx.advance("tracked", {"invoice_id": invoice_id}, link=(Kind.BOOKS_INVOICE, invoice_id))


ORDER_WAIT = 2.0
"""Seconds a shipment waits, per try, for its order's invoice while the order's record is still working."""


async def _booked_invoice(ctx: FlowContext, zoho: Api, shipment: Shipment) -> dict[str, Any] | None:
    """The shipment's order's invoice. While the order's record works, try again shortly; an order never seen
    (shipped after a window that missed it) is fetched and started; an order whose record is dead stops this
    one too, saying so; a cancelled order that was never invoiced has nothing to track (None)."""
    invoice = await _invoice(zoho, shipment.order_key)
    if invoice is not None:
        return invoice
    async with tenant_session(ctx.services.sessions, ctx.tenant_id) as session:
        rows = (
            await session.execute(
                select(Record.state, Record.last_error).where(
                    Record.flow == FLOW, Record.source_ref.startswith(f"{ORDER}:{shipment.order_id}@", autoescape=True)
                )
            )
        ).all()
    waiting = f"order {shipment.order_number}'s invoice is not in Books yet"
    if not rows:
        ss = await ctx.api("shipstation")
        raw = decimal_json((await ss.call("GET", f"/orders/{shipment.order_id}")).text)
        await ctx.spawn(FLOW, *order_routed(raw))
        raise CallFailed(Verdict(Outcome.RETRY, None, f"{waiting}; its order was fetched"), retry_after=ORDER_WAIT)
    states = {state for state, _ in rows}
    if states & {"pending", "running"}:
        raise CallFailed(Verdict(Outcome.RETRY, None, waiting), retry_after=ORDER_WAIT)
    if "dead" in states and "skipped" not in states:
        why = next(error for state, error in rows if state == "dead")
        raise Refused(
            Reason.INVALID_SOURCE_DATA,
            f"order {shipment.order_number} has no invoice in Books ({why}); replay the order, then this shipment",
        )
    return None


BOOKS_CALLS = {"orders": 4, "shipments": 4, "voids": 5}
"""Books calls per record, at most as a rule: an order looks its invoice up, makes (or updates) it, sends it
and finds or makes its customer; a shipment reads the chart, posts its journal, finds and marks the invoice."""


async def estimate(ctx: TenantContext, start: datetime, end: datetime) -> Estimated:
    """How many orders, shipments and voids the window holds (one call each), and the calls a run would make."""
    ss = await ctx.api("shipstation")
    found: dict[str, int] = {}
    for name, path, stamp, _ in PHASES:
        params = {f"{stamp}Start": to_pacific(start), f"{stamp}End": to_pacific(end), "pageSize": 1}
        found[name] = int((await ss.call("GET", path, params=params)).json().get("total") or 0)
    listing = sum(max(1, -(-n // PAGE_SIZE)) for n in found.values())
    return Estimated(
        sources=sum(found.values()),
        calls={"shipstation": len(found) + listing, "zoho": sum(BOOKS_CALLS[k] * n for k, n in found.items())},
        detail=f"{found['orders']:,} order versions, {found['shipments']:,} shipments, "
        f"{found['voids']:,} voided labels",
    )


def schedule(settings: FlowSettings) -> tuple[int, int]:
    return settings.shipstation_books.poll_seconds, settings.shipstation_books.overlap_seconds


SPEC = FlowSpec(
    name=FLOW,
    run=run,
    route=route,
    discover=discover,
    estimate=estimate,
    needs=("shipstation", "zoho"),
    schedule=schedule,
)
