"""Every Inventory and Books resource as data: one engine (``engine.py``) serves them all.

A resource says where it lives, its envelope keys, its id and number fields, what a create needs and
answers, the status actions it allows, and which behaviour (``basics.py``, ``fulfilment.py``, ``ledger.py``,
registered by name in ``simulator.BEHAVIOURS``) adds the real logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INVENTORY = "inventory"
BOOKS = "books"
BOTH = frozenset({INVENTORY, BOOKS})


@dataclass(frozen=True)
class Action:
    """``POST /{resource}/{id}/status/{name}`` (or ``/{id}/{name}`` when ``under_status`` is false)."""

    to: str
    allowed_from: frozenset[str]
    message: str
    under_status: bool = True


@dataclass(frozen=True)
class Resource:
    path: str
    singular: str
    plural: str
    id_field: str
    label: str
    scope: str
    """OAuth scope module: ``ZohoInventory.<scope>.<OP>`` / ``ZohoBooks.<scope>.<OP>``."""
    products: frozenset[str] = BOTH
    number_field: str | None = None
    number_prefix: str = ""
    number_width: int = 5
    create_status: int = 201
    required: tuple[str, ...] = ()
    default_status: str | None = None
    actions: dict[str, Action] = field(default_factory=dict)
    cf_module: str | None = None
    search_fields: tuple[str, ...] = ()
    date_field: str = "date"
    behaviour: str = "plain"
    upsert: bool = False
    """``PUT /{resource}`` with ``X-Unique-Identifier-Key/-Value`` (and ``X-Upsert``)."""
    bulk_read: str | None = None
    """Query parameter naming ids when a GET of the collection is a bulk read, not a search."""
    bulk_delete: str | None = None
    """Query parameter naming ids for ``DELETE /{resource}?...``."""
    list_omit: tuple[str, ...] = (
        "line_items",
        "custom_fields",
        "packages",
        "shipments",
        "invoices",
        "payments",
        "creditnotes",
        "contact_persons",
        "locations",
        "warehouses",
        "address",
        "billing_address",
        "shipping_address",
        "entity_parameters",
        "headers",
        "query_parameters",
        "additional_parameters",
        "purchasereceives",
    )
    read_only: bool = False
    created_message: str = ""
    updated_message: str = ""
    deleted_message: str = ""

    def messages(self) -> tuple[str, str, str]:
        return (
            self.created_message or f"The {self.label.lower()} has been created.",
            self.updated_message or f"{self.label} information has been updated.",
            self.deleted_message or f"The {self.label.lower()} has been deleted.",
        )


def _statuses(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTIVE = {
    "active": Action("active", _statuses("inactive", "active"), "The {label} has been marked as active.", False),
    "inactive": Action("inactive", _statuses("active", "inactive"), "The {label} has been marked as inactive.", False),
}

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "contacts",
        "contact",
        "contacts",
        "contact_id",
        "Contact",
        "contacts",
        required=("contact_name",),
        default_status="active",
        actions=ACTIVE,
        cf_module="contacts",
        search_fields=("contact_name", "company_name", "email", "first_name", "last_name"),
        behaviour="contact",
        upsert=True,
        date_field="created_time",
        created_message="The contact has been added.",
        updated_message="Contact has been updated.",
        deleted_message="The contact has been deleted.",
    ),
    Resource(
        "items",
        "item",
        "items",
        "item_id",
        "Item",
        "items",
        create_status=200,
        required=("name",),
        default_status="active",
        actions=ACTIVE,
        cf_module="items",
        search_fields=("name", "sku", "description"),
        behaviour="item",
        upsert=True,
        date_field="created_time",
        created_message="The item has been added.",
        updated_message="The item details have been saved.",
        deleted_message="The item has been deleted.",
    ),
    Resource(
        "salesorders",
        "salesorder",
        "salesorders",
        "salesorder_id",
        "Sales Order",
        "salesorders",
        number_field="salesorder_number",
        number_prefix="SO-",
        number_width=5,
        required=("customer_id", "line_items"),
        default_status="draft",
        cf_module="salesorder",
        search_fields=("salesorder_number", "reference_number", "customer_name"),
        behaviour="salesorder",
        upsert=True,
        bulk_delete="salesorder_ids",
        actions={
            "confirmed": Action(
                "confirmed",
                _statuses("draft", "approved", "pending_approval"),
                "Sales order status has been changed to 'Confirmed'.",
            ),
            "open": Action(
                "confirmed",
                _statuses("draft", "approved", "pending_approval"),
                "Sales order status has been changed to 'Open'.",
            ),
            "void": Action(
                "void",
                _statuses("draft", "confirmed", "approved", "pending_approval"),
                "Sales order status has been changed to 'Void'.",
            ),
            "draft": Action("draft", _statuses("void"), "Sales order status has been changed to 'Draft'."),
            "submit": Action(
                "pending_approval", _statuses("draft"), "The sales order has been submitted for approval.", False
            ),
            "approve": Action("approved", _statuses("pending_approval"), "The sales order has been approved.", False),
        },
        created_message="Sales Order has been created.",
        updated_message="Sales Order has been updated.",
        deleted_message="Sales Order has been deleted.",
    ),
    Resource(
        "packages",
        "package",
        "packages",
        "package_id",
        "Package",
        "packages",
        products=frozenset({INVENTORY}),
        number_field="package_number",
        number_prefix="PKG-",
        number_width=5,
        required=("line_items",),
        default_status="not_shipped",
        cf_module="package",
        search_fields=("package_number", "salesorder_number", "customer_name"),
        behaviour="package",
        created_message="Package created successfully.",
        updated_message="Package updated successfully.",
        deleted_message="Package deleted successfully.",
    ),
    Resource(
        "shipmentorders",
        "shipmentorder",
        "shipmentorders",
        "shipment_id",
        "Shipment Order",
        "shipmentorders",
        products=frozenset({INVENTORY}),
        number_field="shipment_number",
        number_prefix="SH-",
        number_width=5,
        default_status="shipped",
        cf_module="shipmentorder",
        search_fields=("shipment_number", "tracking_number", "salesorder_number", "customer_name"),
        behaviour="shipment",
        actions={
            "delivered": Action("delivered", _statuses("shipped"), "Shipment status has been changed to 'Delivered'.")
        },
        created_message="Shipment created successfully.",
        updated_message="Shipment updated successfully.",
        deleted_message="Shipment deleted successfully.",
    ),
    Resource(
        "inventoryadjustments",
        "inventory_adjustment",
        "inventory_adjustments",
        "inventory_adjustment_id",
        "Inventory Adjustment",
        "inventoryadjustments",
        products=frozenset({INVENTORY}),
        create_status=200,
        required=("date", "reason", "line_items"),
        default_status="adjusted",
        search_fields=("reference_number", "reason"),
        behaviour="adjustment",
        created_message="Inventory Adjustment has been added.",
        updated_message="Inventory Adjustment has been updated.",
        deleted_message="Inventory Adjustment(s) has been deleted.",
    ),
    Resource(
        "purchaseorders",
        "purchaseorder",
        "purchaseorders",
        "purchaseorder_id",
        "Purchase Order",
        "purchaseorders",
        number_field="purchaseorder_number",
        number_prefix="PO-",
        number_width=5,
        required=("vendor_id", "line_items"),
        default_status="draft",
        cf_module="purchaseorder",
        search_fields=("purchaseorder_number", "reference_number", "vendor_name"),
        behaviour="purchaseorder",
        actions={
            "issued": Action("issued", _statuses("draft"), "Purchase Order has been marked as issued."),
            "cancelled": Action("cancelled", _statuses("draft", "issued"), "Purchase Order has been cancelled."),
        },
        created_message="Purchase Order has been created.",
    ),
    Resource(
        "purchasereceives",
        "purchasereceive",
        "purchasereceives",
        "receive_id",
        "Purchase Receive",
        "purchasereceives",
        products=frozenset({INVENTORY}),
        number_field="receive_number",
        number_prefix="PR-",
        number_width=5,
        required=("line_items",),
        default_status="received",
        cf_module="purchasereceive",
        search_fields=("receive_number", "purchaseorder_number"),
        behaviour="receive",
        created_message="Purchase Receive has been created.",
    ),
    Resource(
        "invoices",
        "invoice",
        "invoices",
        "invoice_id",
        "Invoice",
        "invoices",
        number_field="invoice_number",
        number_prefix="INV-",
        number_width=6,
        required=("customer_id", "line_items"),
        default_status="draft",
        cf_module="invoice",
        search_fields=("invoice_number", "reference_number", "customer_name"),
        behaviour="invoice",
        upsert=True,
        actions={
            "sent": Action("sent", _statuses("draft"), "Invoice status has been changed to Sent."),
            "void": Action(
                "void", _statuses("draft", "sent", "overdue", "unpaid"), "Invoice status has been changed to Void."
            ),
            "draft": Action("draft", _statuses("void"), "Status of invoice changed from void to draft."),
        },
        created_message="The invoice has been created.",
        updated_message="Invoice information has been updated.",
        deleted_message="The invoice has been deleted.",
    ),
    Resource(
        "customerpayments",
        "payment",
        "customerpayments",
        "payment_id",
        "Payment",
        "customerpayments",
        number_field="payment_number",
        number_prefix="",
        number_width=1,
        required=("customer_id", "amount"),
        default_status="success",
        cf_module="customer_payment",
        search_fields=("payment_number", "reference_number", "customer_name"),
        behaviour="payment",
        upsert=True,
        created_message="The payment has been created.",
        updated_message="The payment has been updated.",
        deleted_message="The payment has been deleted.",
    ),
    Resource(
        "creditnotes",
        "creditnote",
        "creditnotes",
        "creditnote_id",
        "Credit Note",
        "creditnotes",
        number_field="creditnote_number",
        number_prefix="CN-",
        number_width=5,
        required=("customer_id", "line_items"),
        default_status="open",
        cf_module="creditnote",
        search_fields=("creditnote_number", "reference_number", "customer_name"),
        behaviour="creditnote",
        actions={
            "void": Action("void", _statuses("open", "draft"), "Credit Note has been voided."),
            "draft": Action("draft", _statuses("void"), "Status of credit note changed from void to draft."),
            "open": Action("open", _statuses("draft"), "Status of credit note changed to open."),
        },
        created_message="Credit Note has been created.",
        updated_message="Credit Note information has been updated.",
        deleted_message="Credit Note has been deleted.",
    ),
    Resource(
        "journals",
        "journal",
        "journals",
        "journal_id",
        "Journal",
        "accountants",
        products=frozenset({BOOKS}),
        number_field="entry_number",
        number_prefix="",
        number_width=1,
        required=("journal_date", "line_items"),
        default_status="published",
        search_fields=("entry_number", "reference_number", "notes"),
        date_field="journal_date",
        behaviour="journal",
        actions={"publish": Action("published", _statuses("draft"), "The journal has been published.")},
        created_message="The journal entry has been created.",
        updated_message="The journal entry has been updated.",
        deleted_message="The journal entry has been deleted.",
    ),
    Resource(
        "expenses",
        "expense",
        "expenses",
        "expense_id",
        "Expense",
        "expenses",
        products=frozenset({BOOKS}),
        required=("account_id", "amount"),
        default_status="unbilled",
        cf_module="expense",
        search_fields=("reference_number", "description", "account_name"),
        behaviour="expense",
        created_message="The expense has been recorded.",
        updated_message="The expense has been updated.",
        deleted_message="The expense has been deleted.",
    ),
    Resource(
        "chartofaccounts",
        "chart_of_account",
        "chartofaccounts",
        "account_id",
        "Account",
        "accountants",
        required=("account_name", "account_type"),
        default_status="active",
        actions=ACTIVE,
        search_fields=("account_name", "account_code"),
        behaviour="account",
        date_field="created_time",
        created_message="The account has been created.",
        updated_message="The account has been updated.",
        deleted_message="The account has been deleted.",
    ),
    Resource(
        "settings/webhooks",
        "webhook",
        "webhooks",
        "webhook_id",
        "Webhook",
        "settings",
        required=("url",),
        behaviour="webhook",
        date_field="created_time",
        search_fields=("webhook_name", "url"),
        created_message="Webhook has been created.",
        updated_message="Webhook has been updated.",
        deleted_message="Webhook has been deleted.",
    ),
    Resource(
        "locations",
        "location",
        "locations",
        "location_id",
        "Location",
        "settings",
        products=frozenset({INVENTORY}),
        read_only=True,
        date_field="created_time",
        search_fields=("location_name",),
    ),
    Resource(
        "settings/warehouses",
        "warehouse",
        "warehouses",
        "warehouse_id",
        "Warehouse",
        "settings",
        products=frozenset({INVENTORY}),
        read_only=True,
        date_field="created_time",
        search_fields=("warehouse_name",),
        behaviour="warehouse",
    ),
    Resource(
        "settings/taxes",
        "tax",
        "taxes",
        "tax_id",
        "Tax",
        "settings",
        read_only=True,
        date_field="created_time",
        search_fields=("tax_name",),
    ),
    Resource(
        # GET /itemdetails?item_ids=a,b: full item records (stock per location) in one call.
        "itemdetails",
        "item",
        "items",
        "item_id",
        "Item",
        "items",
        products=frozenset({INVENTORY}),
        read_only=True,
        behaviour="item",
        date_field="created_time",
        list_omit=(),
        bulk_read="item_ids",
    ),
)

BY_PATH: dict[str, Resource] = {r.path: r for r in RESOURCES}

TABLES: dict[str, str] = {"settings/warehouses": "locations", "itemdetails": "items"}
"""Resources that are another view of the same records (warehouses are locations under older names)."""


def table_of(resource: Resource) -> str:
    return TABLES.get(resource.path, resource.path)
