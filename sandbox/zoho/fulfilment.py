"""Sales-order fulfilment and stock movement: sales orders, packages, shipment orders, adjustments,
purchase orders and purchase receives.

Quantities live on the sales-order lines (``quantity_packed``, ``quantity_shipped``); physical stock
lives in ``Org.stock`` per (item, location) and moves on shipment, adjustment and receipt.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.zoho import errors, records
from sandbox.zoho.behaviour import Behaviour, Ctx, positive
from sandbox.zoho.catalogue import Resource
from sandbox.zoho.formats import as_id, money

ZERO = Decimal(0)


def _move_stock(ctx: Ctx, item_id: str, location_id: str, delta: Decimal) -> None:
    key = (item_id, location_id)
    ctx.org.stock[key] = ctx.org.stock.get(key, ZERO) + delta


def _ids(raw: str) -> list[str]:
    return [i.strip() for i in raw.split(",") if i.strip()]


# ----------------------------------------------------------------- sales orders
class SalesOrder(Behaviour):
    priced_lines = True

    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is not None and before.get("status") == "void":
            raise errors.state("A void sales order cannot be edited.")
        record["location_id"] = ctx.location(record.get("location_id") or record.get("warehouse_id"))["location_id"]
        old = {li["line_item_id"]: li for li in (before or {}).get("line_items", [])}
        for line in record["line_items"]:
            prior = old.pop(line["line_item_id"], {})
            for key in ("quantity_packed", "quantity_shipped", "quantity_invoiced", "quantity_delivered"):
                line[key] = prior.get(key, ZERO)
            if line["quantity"] < line["quantity_packed"]:
                raise errors.state("The quantity cannot be less than the quantity already packed.")
            if line.get("location_id") not in (None, ""):
                line["location_id"] = ctx.location(line["location_id"])["location_id"]
        if any(li.get("quantity_packed", ZERO) > 0 for li in old.values()):
            raise errors.state("Line items that have been packed cannot be removed from the sales order.")
        record.update(records.totals(record["line_items"], record))
        record.setdefault("currency_code", ctx.org.currency_code)
        record.setdefault("reference_number", "")
        record.setdefault("shipment_date", "")
        record.setdefault("packages", [])
        record.setdefault("invoices", [])
        record.setdefault("sales_channel", "direct_sales")
        record["bcy_total"] = record["total"]
        self.refresh_statuses(record)

    @staticmethod
    def refresh_statuses(so: dict[str, Any]) -> None:
        lines = so.get("line_items", [])
        ordered = sum((li["quantity"] for li in lines), ZERO)
        packed = sum((li.get("quantity_packed", ZERO) for li in lines), ZERO)
        shipped = sum((li.get("quantity_shipped", ZERO) for li in lines), ZERO)
        invoiced = sum((li.get("quantity_invoiced", ZERO) for li in lines), ZERO)
        so["packed_status"] = (
            "packed" if packed >= ordered and ordered else ("partially_packed" if packed else "not_packed")
        )
        so["shipped_status"] = (
            "fully_shipped" if shipped >= ordered and ordered else ("partially_shipped" if shipped else "pending")
        )
        so["invoiced_status"] = (
            "invoiced" if invoiced >= ordered and ordered else ("partially_invoiced" if invoiced else "not_invoiced")
        )
        so.setdefault("paid_status", "unpaid")
        if so.get("status") == "confirmed" and shipped >= ordered and ordered:
            so["status"] = "fulfilled"
        elif so.get("status") == "fulfilled" and shipped < ordered:
            so["status"] = "confirmed"
        so["order_status"] = so.get("status")

    def before_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        if name == "void" and record.get("packages"):
            raise errors.state("The sales order cannot be voided as packages have been created for it.")

    def after_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        record["order_status"] = record["status"]
        ctx.emit("salesorder", "confirmed" if name in ("confirmed", "open") else name, record)

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        if record.get("packages"):
            raise errors.state("The sales order cannot be deleted as packages have been created for it.")
        if record.get("invoices"):
            raise errors.state("The sales order cannot be deleted as invoices have been created for it.")


def sales_order_for(ctx: Ctx) -> dict[str, Any]:
    so_id = as_id(ctx.query.get("salesorder_id"))
    if not so_id:
        raise errors.invalid("salesorder_id")
    so = ctx.org.table("salesorders").get(so_id)
    if so is None:
        raise errors.invalid("salesorder_id")
    return so


# ----------------------------------------------------------------- packages
class Package(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is None:
            so = sales_order_for(ctx)
        else:
            so = ctx.record("salesorders", before["salesorder_id"], "Sales Order")
            if before["status"] != "not_shipped":
                raise errors.state("A shipped package cannot be edited.")
        if so["status"] == "void":
            raise errors.state("Packages cannot be created for a void sales order.")
        if before is not None and "line_items" not in body:
            record["line_items"] = before["line_items"]
            return
        if before is not None:
            _pack(so, before["line_items"], -1)
        try:
            lines = self._lines(ctx, so, record.get("line_items"))
        except errors.ZohoError:
            if before is not None:
                _pack(so, before["line_items"], 1)
            raise
        record["line_items"] = lines
        _pack(so, lines, 1)
        if so["status"] in ("draft", "approved", "pending_approval"):
            # Packing a draft order confirms it, as the Zoho Inventory UI does.
            so["status"] = so["order_status"] = "confirmed"
            ctx.emit("salesorder", "confirmed", so)
        record.update(
            {
                "salesorder_id": so["salesorder_id"],
                "salesorder_number": so["salesorder_number"],
                "customer_id": so["customer_id"],
                "customer_name": so["customer_name"],
                "total_quantity": sum((li["quantity"] for li in lines), ZERO),
            }
        )
        record.setdefault("shipment_order", {})
        record.setdefault("notes", "")
        record["detailed_status"] = record["status"]
        self._link(so, record)

    @staticmethod
    def _lines(ctx: Ctx, so: dict[str, Any], raw_lines: Any) -> list[dict[str, Any]]:
        by_id = {li["line_item_id"]: li for li in so["line_items"]}
        pending: dict[str, Decimal] = {}
        lines = []
        if not isinstance(raw_lines, list) or not raw_lines:
            raise errors.required("line_items")
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise errors.invalid("line_items")
            so_line = by_id.get(as_id(raw.get("so_line_item_id")) or "")
            if so_line is None:
                raise errors.invalid("so_line_item_id")
            qty = positive(raw.get("quantity"), "quantity")
            already = so_line["quantity_packed"] + pending.get(so_line["line_item_id"], ZERO)
            if qty > so_line["quantity"] - already:
                raise errors.state(f"The quantity to be packed for {so_line['name']} exceeds the quantity ordered.")
            pending[so_line["line_item_id"]] = pending.get(so_line["line_item_id"], ZERO) + qty
            lines.append(
                {
                    "line_item_id": ctx.org.new_id(),
                    "so_line_item_id": so_line["line_item_id"],
                    "item_id": so_line.get("item_id", ""),
                    "name": so_line["name"],
                    "sku": so_line.get("sku", ""),
                    "description": so_line.get("description", ""),
                    "quantity": qty,
                    "unit": so_line.get("unit", "pcs"),
                    "location_id": so_line.get("location_id") or so["location_id"],
                }
            )
        return lines

    @staticmethod
    def _link(so: dict[str, Any], package: dict[str, Any]) -> None:
        entry = {
            "package_id": package["package_id"],
            "package_number": package["package_number"],
            "date": package["date"],
            "status": package["status"],
            "detailed_status": package["status"],
            "shipment_id": package.get("shipment_order", {}).get("shipment_id", ""),
            "shipment_number": package.get("shipment_order", {}).get("shipment_number", ""),
        }
        so["packages"] = [p for p in so.get("packages", []) if p["package_id"] != package["package_id"]] + [entry]
        SalesOrder.refresh_statuses(so)

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        if record["status"] != "not_shipped":
            raise errors.state("The package cannot be deleted as it has been shipped.")

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        so = ctx.org.table("salesorders").get(record["salesorder_id"])
        if so is not None:
            _pack(so, record["line_items"], -1)
            so["packages"] = [p for p in so.get("packages", []) if p["package_id"] != record["package_id"]]
            SalesOrder.refresh_statuses(so)
        super().deleted(ctx, res, record)


def _pack(so: dict[str, Any], lines: list[dict[str, Any]], sign: int) -> None:
    by_id = {li["line_item_id"]: li for li in so["line_items"]}
    for line in lines:
        target = by_id.get(line["so_line_item_id"])
        if target is not None:
            target["quantity_packed"] += sign * line["quantity"]


def _ship(ctx: Ctx, so: dict[str, Any], package: dict[str, Any], sign: int) -> None:
    by_id = {li["line_item_id"]: li for li in so["line_items"]}
    for line in package["line_items"]:
        target = by_id.get(line["so_line_item_id"])
        if target is not None:
            target["quantity_shipped"] += sign * line["quantity"]
        if line.get("item_id"):
            _move_stock(ctx, line["item_id"], line["location_id"], -sign * line["quantity"])


# ----------------------------------------------------------------- shipment orders
class Shipment(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is not None:
            return
        so = sales_order_for(ctx)
        package_ids = _ids(ctx.query.get("package_ids", ""))
        if not package_ids:
            raise errors.invalid("package_ids")
        packages = []
        for pid in package_ids:
            package = ctx.org.table("packages").get(as_id(pid) or "")
            if package is None or package["salesorder_id"] != so["salesorder_id"]:
                raise errors.invalid("package_ids")
            if package["status"] != "not_shipped":
                raise errors.state(f"The package {package['package_number']} has already been shipped.")
            packages.append(package)
        record.update(
            {
                "salesorder_id": so["salesorder_id"],
                "salesorder_number": so["salesorder_number"],
                "customer_id": so["customer_id"],
                "customer_name": so["customer_name"],
                "package_ids": [p["package_id"] for p in packages],
                "packages": [{"package_id": p["package_id"], "package_number": p["package_number"]} for p in packages],
                "line_items": [dict(li) for p in packages for li in p["line_items"]],
                "detailed_status": "shipped",
                "carrier": record.get("delivery_method", ""),
            }
        )
        record.setdefault("tracking_number", "")
        record.setdefault("delivery_method", "")
        record.setdefault("reference_number", "")
        record.setdefault("notes", "")
        charge = money(record.get("shipping_charge", 0))
        if charge is None or charge < 0:
            raise errors.invalid("shipping_charge")
        record["shipping_charge"] = charge
        record["shipment_type"] = "zoho_inventory"
        for package in packages:
            _ship(ctx, so, package, 1)
            self._mark(so, package, record, "shipped")

    @staticmethod
    def _mark(so: dict[str, Any], package: dict[str, Any], shipment: dict[str, Any] | None, status: str) -> None:
        package["status"] = package["detailed_status"] = status
        package["shipment_order"] = (
            {}
            if shipment is None
            else {
                "shipment_id": shipment["shipment_id"],
                "shipment_number": shipment["shipment_number"],
                "shipment_date": shipment["date"],
                "carrier": shipment.get("delivery_method", ""),
                "delivery_method": shipment.get("delivery_method", ""),
                "tracking_number": shipment.get("tracking_number", ""),
                "status": status,
            }
        )
        Package._link(so, package)

    def after_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        record["detailed_status"] = record["status"]
        record["delivery_date"] = ctx.today()
        so = ctx.org.table("salesorders").get(record["salesorder_id"])
        for pid in record["package_ids"]:
            package = ctx.org.table("packages").get(pid)
            if package is not None and so is not None:
                self._mark(so, package, record, "delivered")
                for line in package["line_items"]:
                    for so_line in so["line_items"]:
                        if so_line["line_item_id"] == line["so_line_item_id"]:
                            so_line["quantity_delivered"] = so_line.get("quantity_delivered", ZERO) + line["quantity"]
        super().after_action(ctx, res, record, name)

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        so = ctx.org.table("salesorders").get(record["salesorder_id"])
        for pid in record["package_ids"]:
            package = ctx.org.table("packages").get(pid)
            if package is not None and so is not None:
                _ship(ctx, so, package, -1)
                self._mark(so, package, None, "not_shipped")
        super().deleted(ctx, res, record)


# ----------------------------------------------------------------- inventory adjustments
class Adjustment(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        record.setdefault("adjustment_type", "quantity")
        if record["adjustment_type"] not in ("quantity", "value"):
            raise errors.invalid("adjustment_type")
        if before is not None:
            if "line_items" not in body:
                record["line_items"] = before["line_items"]
                return
            self._apply(ctx, before["line_items"], -1)
        default_location = ctx.location(record.get("location_id") or record.get("warehouse_id"))
        lines = []
        raw_lines = record.get("line_items")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise errors.required("line_items")
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise errors.invalid("line_items")
            item = ctx.org.table("items").get(as_id(raw.get("item_id")) or "")
            if item is None:
                raise errors.invalid("item_id")
            qty = money(raw.get("quantity_adjusted"))
            if qty is None or qty == 0:
                raise errors.invalid("quantity_adjusted")
            loc_ref = raw.get("location_id") or raw.get("warehouse_id")
            location = ctx.location(as_id(loc_ref)) if loc_ref else default_location
            lines.append(
                {
                    "line_item_id": ctx.org.new_id(),
                    "item_id": item["item_id"],
                    "name": item["name"],
                    "sku": item.get("sku", ""),
                    "description": raw.get("description", ""),
                    "quantity_adjusted": qty,
                    "unit": item.get("unit", "pcs"),
                    "location_id": location["location_id"],
                    "location_name": location["location_name"],
                    "warehouse_id": location["location_id"],
                    "warehouse_name": location["location_name"],
                }
            )
        for line in lines:
            on_hand = ctx.org.stock.get((line["item_id"], line["location_id"]), ZERO)
            if on_hand + line["quantity_adjusted"] < 0:
                if before is not None:
                    self._apply(ctx, before["line_items"], 1)
                raise errors.state(f"The stock on hand of {line['name']} cannot go below zero.")
        record["line_items"] = lines
        record["location_id"] = default_location["location_id"]
        self._apply(ctx, lines, 1)

    @staticmethod
    def _apply(ctx: Ctx, lines: list[dict[str, Any]], sign: int) -> None:
        for line in lines:
            _move_stock(ctx, line["item_id"], line["location_id"], sign * line["quantity_adjusted"])

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        self._apply(ctx, record["line_items"], -1)
        super().deleted(ctx, res, record)


# ----------------------------------------------------------------- purchase orders and receives
class PurchaseOrder(Behaviour):
    priced_lines = True

    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        record["location_id"] = ctx.location(record.get("location_id") or record.get("warehouse_id"))["location_id"]
        old = {li["line_item_id"]: li for li in (before or {}).get("line_items", [])}
        for line in record["line_items"]:
            line["quantity_received"] = old.get(line["line_item_id"], {}).get("quantity_received", ZERO)
        record.update(records.totals(record["line_items"], record))
        record.setdefault("purchasereceives", [])
        record.setdefault("currency_code", ctx.org.currency_code)
        record["received_status"] = _received_status(record)

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        if record.get("purchasereceives"):
            raise errors.state("The purchase order cannot be deleted as items have been received against it.")


def _received_status(po: dict[str, Any]) -> str:
    ordered = sum((li["quantity"] for li in po["line_items"]), ZERO)
    received = sum((li.get("quantity_received", ZERO) for li in po["line_items"]), ZERO)
    return "received" if received >= ordered else ("partially_received" if received else "")


class Receive(Behaviour):
    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        if before is not None:
            record["line_items"] = before["line_items"]
            return
        po_id = as_id(ctx.query.get("purchaseorder_id"))
        po = ctx.org.table("purchaseorders").get(po_id or "")
        if po is None:
            raise errors.invalid("purchaseorder_id")
        if po["status"] == "cancelled":
            raise errors.state("Items cannot be received for a cancelled purchase order.")
        by_id = {li["line_item_id"]: li for li in po["line_items"]}
        lines = []
        raw_lines = record.get("line_items")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise errors.required("line_items")
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise errors.invalid("line_items")
            po_line = by_id.get(as_id(raw.get("line_item_id")) or "")
            if po_line is None:
                po_line = next((li for li in po["line_items"] if li.get("item_id") == as_id(raw.get("item_id"))), None)
            if po_line is None:
                raise errors.invalid("line_item_id")
            qty = positive(raw.get("quantity"), "quantity")
            if qty > po_line["quantity"] - po_line["quantity_received"]:
                raise errors.state(f"The quantity received for {po_line['name']} exceeds the quantity ordered.")
            lines.append(
                {
                    "line_item_id": ctx.org.new_id(),
                    "po_line_item_id": po_line["line_item_id"],
                    "item_id": po_line.get("item_id", ""),
                    "name": po_line["name"],
                    "quantity": qty,
                    "unit": po_line.get("unit", "pcs"),
                    "location_id": po_line.get("location_id") or po["location_id"],
                }
            )
        record["line_items"] = lines
        record.update(
            {
                "purchaseorder_id": po["purchaseorder_id"],
                "purchaseorder_number": po["purchaseorder_number"],
                "vendor_id": po["vendor_id"],
                "vendor_name": po.get("vendor_name", ""),
            }
        )
        self._receive(ctx, po, record, 1)

    @staticmethod
    def _receive(ctx: Ctx, po: dict[str, Any], receive: dict[str, Any], sign: int) -> None:
        by_id = {li["line_item_id"]: li for li in po["line_items"]}
        for line in receive["line_items"]:
            by_id[line["po_line_item_id"]]["quantity_received"] += sign * line["quantity"]
            if line.get("item_id"):
                _move_stock(ctx, line["item_id"], line["location_id"], sign * line["quantity"])
        receipts = [r for r in po["purchasereceives"] if r["receive_id"] != receive["receive_id"]]
        if sign > 0:
            receipts.append(
                {
                    "receive_id": receive["receive_id"],
                    "receive_number": receive["receive_number"],
                    "date": receive["date"],
                }
            )
        po["purchasereceives"] = receipts
        po["received_status"] = _received_status(po)
        if po["status"] in ("draft", "issued", "partially_received", "received"):
            po["status"] = {"received": "received", "partially_received": "partially_received"}.get(
                po["received_status"], "issued"
            )

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        po = ctx.org.table("purchaseorders").get(record["purchaseorder_id"])
        if po is not None:
            self._receive(ctx, po, record, -1)
        super().deleted(ctx, res, record)
