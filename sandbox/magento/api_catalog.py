"""Catalog, stock and store REST endpoints, and the admin token service.

Legacy CatalogInventory (``stockItems``) and MSI (``inventory/source-items``) share one truth: the
``default`` source's quantity is the legacy stock item's ``qty``; writing either updates both.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.kit import SandboxError
from sandbox.magento import catalog, errors, listing
from sandbox.magento import formats as fmt
from sandbox.magento.routing import Call, Endpoint
from sandbox.magento.state import Product, SourceItem, StockItem, Store

PRODUCTS = "Magento_Catalog::products"
INVENTORY = "Magento_CatalogInventory::cataloginventory"
SOURCES = "Magento_InventoryApi::source"
SOURCE_ITEMS_EDIT = "Magento_InventoryApi::source_edit"
STORES = "Magento_Backend::store"


def _product(call: Call, name: str = "sku") -> Product:
    product = call.store.products.get(call.params[name])
    if product is None:
        raise errors.magento_error(404, errors.NO_PRODUCT)
    return product


def _stock(call: Call, name: str = "productSku") -> StockItem:
    sku = call.params[name]
    stock = call.store.stock.get(sku) if sku in call.store.products else None
    if stock is None:
        raise errors.magento_error(404, errors.NO_SKU, [sku])
    return stock


def _product_row(p: Product) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity_id": p.id,
        "sku": p.sku,
        "name": p.name,
        "type_id": p.type_id,
        "price": float(p.price),
        "status": p.status,
        "visibility": p.visibility,
        "attribute_set_id": p.attribute_set_id,
        "created_at": fmt.ts(p.created_at),
        "updated_at": fmt.ts(p.updated_at),
        "weight": float(p.weight),
        "tax_class_id": 2,
        "url_key": None,
        "size": None,
        "color": None,
        "description": None,
    }
    row.update(p.attributes)
    return row


def list_products(call: Call) -> Any:
    store = call.store
    return listing.run(
        call,
        store.products.values(),
        _product_row,
        lambda p: catalog.product(p, store, with_stock=False),
        unknown="eav",
    )


def get_product(call: Call) -> Any:
    return catalog.product(_product(call), call.store)


def get_stock_item(call: Call) -> Any:
    return catalog.stock_item(_stock(call))


def get_stock_status(call: Call) -> Any:
    stock = _stock(call)
    return {
        "product_id": stock.product_id,
        "stock_id": 1,
        "qty": float(stock.qty),
        "stock_status": 1 if stock.is_in_stock else 0,
        "stock_item": catalog.stock_item(stock),
    }


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise errors.bad_type(value, "float")
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.bad_type(value, "float") from None
    if not out.is_finite():
        raise errors.bad_type(value, "float")
    return out


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise errors.bad_type(value, "bool")


def set_quantity(store: Store, sku: str, qty: Decimal, in_stock: bool | None, now: Any) -> StockItem | None:
    """Set the default-source quantity, keeping the legacy stock item and MSI source item in step."""
    stock = store.stock.get(sku)
    in_stock_final = (qty > 0) if in_stock is None else (in_stock and qty > 0)
    if stock is not None:
        stock.qty = qty
        stock.is_in_stock = in_stock_final
        stock.low_stock_date = now if qty <= 0 else None
    src = store.source_items.get((sku, "default"))
    if src is not None:
        src.quantity, src.status = qty, 1 if in_stock_final else 0
    elif sku in store.products and store.products[sku].type_id == "simple":
        store.source_items[(sku, "default")] = SourceItem(sku, "default", qty, 1 if in_stock_final else 0)
    product = store.products.get(sku)
    if product is not None:
        product.updated_at = now
    return stock


def update_stock_item(call: Call) -> Any:
    call.int_param("itemId")
    spec = call.need("stockItem")
    if not isinstance(spec, dict):
        raise errors.bad_type(spec, "object")
    stock = _stock(call)
    qty = stock.qty if spec.get("qty") is None else _decimal(spec["qty"])
    in_stock = None if spec.get("is_in_stock") is None else _bool(spec["is_in_stock"])
    if "manage_stock" in spec and spec["manage_stock"] is not None:
        stock.manage_stock = _bool(spec["manage_stock"])
    if call.store.products[stock.sku].type_id == "configurable":
        stock.is_in_stock = True if in_stock is None else in_stock
        return stock.item_id
    set_quantity(call.store, stock.sku, qty, in_stock, call.now)
    return stock.item_id


def list_sources(call: Call) -> Any:
    if not any(k.startswith("searchCriteria") for k, _ in call.query):
        items = [catalog.source(s) for s in call.store.sources.values()]
        return {"items": items, "search_criteria": {"filter_groups": []}, "total_count": len(items)}
    return listing.run(call, call.store.sources.values(), catalog.source, catalog.source)


def get_source(call: Call) -> Any:
    source = call.store.sources.get(call.params["sourceCode"])
    if source is None:
        raise errors.magento_error(
            404, 'Source with code "%value" does not exist.', {"value": call.params["sourceCode"]}
        )
    return catalog.source(source)


def list_source_items(call: Call) -> Any:
    return listing.run(call, call.store.source_items.values(), catalog.source_item, catalog.source_item)


def save_source_items(call: Call) -> Any:
    raw = call.need("sourceItems")
    if not isinstance(raw, list):
        raise errors.bad_type(raw, "array")
    if not raw:
        raise errors.magento_error(400, "Input data is empty")
    parsed: list[tuple[str, str, Decimal, int]] = []
    problems: list[dict[str, Any]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise errors.bad_type(entry, "object")
        for name in ("sku", "source_code"):
            if not entry.get(name):
                problems.append(errors.body('"%field" can not be empty.', {"field": name}))
        if problems:
            continue
        source_code = str(entry["source_code"])
        if source_code not in call.store.sources:
            raise errors.magento_error(400, "Could not save Source Item")
        qty = _decimal(entry.get("quantity", 0))
        status = int(_bool(entry.get("status", 1 if qty > 0 else 0)))
        parsed.append((str(entry["sku"]), source_code, qty, status))
    if problems:
        raise SandboxError(400, {"message": "Validation Failed", "errors": problems})
    for sku, code, qty, status in parsed:
        if code == "default":
            set_quantity(call.store, sku, qty, bool(status), call.now)
        existing = call.store.source_items.get((sku, code))
        if existing is None:
            call.store.source_items[(sku, code)] = SourceItem(sku, code, qty, status)
        else:
            existing.quantity, existing.status = qty, status
    return []


def admin_token(call: Call) -> Any:
    body = call.body()
    return call.auth.admin_login(call.store, body.get("username"), body.get("password"))


def store_views(call: Call) -> Any:
    s = call.store
    return [
        {"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1},
        {
            "id": s.store_id,
            "code": s.store_code,
            "name": "Default Store View",
            "website_id": s.website_id,
            "store_group_id": 1,
            "is_active": 1,
        },
    ]


def store_configs(call: Call) -> Any:
    s = call.store
    base = str(call.request.base_url).rstrip("/")
    prefix = "" if s.account == "demo" else f"/store/{s.account}"
    return [
        {
            "id": s.store_id,
            "code": s.store_code,
            "website_id": s.website_id,
            "locale": "en_IN",
            "base_currency_code": s.base_currency,
            "default_display_currency_code": s.base_currency,
            "timezone": "Asia/Kolkata",
            "weight_unit": "kgs",
            "base_url": f"{base}{prefix}/",
            "base_link_url": f"{base}{prefix}/",
            "base_static_url": f"{base}{prefix}/static/",
            "base_media_url": f"{base}{prefix}/media/",
            "secure_base_url": f"{base}{prefix}/",
            "secure_base_link_url": f"{base}{prefix}/",
            "secure_base_static_url": f"{base}{prefix}/static/",
            "secure_base_media_url": f"{base}{prefix}/media/",
        }
    ]


def websites(call: Call) -> Any:
    return [
        {"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
        {"id": call.store.website_id, "code": "base", "name": "Main Website", "default_group_id": 1},
    ]


def store_groups(call: Call) -> Any:
    return [
        {"id": 0, "website_id": 0, "root_category_id": 0, "default_store_id": 0, "name": "Default", "code": "default"},
        {
            "id": 1,
            "website_id": 1,
            "root_category_id": 2,
            "default_store_id": 1,
            "name": f"{call.store.name} Store",
            "code": "main_website_store",
        },
    ]


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/V1/integration/admin/token", None, admin_token),
    Endpoint("GET", "/V1/products", PRODUCTS, list_products),
    Endpoint("GET", "/V1/products/:sku", PRODUCTS, get_product),
    Endpoint("GET", "/V1/stockItems/:productSku", INVENTORY, get_stock_item),
    Endpoint("PUT", "/V1/products/:productSku/stockItems/:itemId", INVENTORY, update_stock_item),
    Endpoint("GET", "/V1/stockStatuses/:productSku", INVENTORY, get_stock_status),
    Endpoint("GET", "/V1/inventory/sources", SOURCES, list_sources),
    Endpoint("GET", "/V1/inventory/sources/:sourceCode", SOURCES, get_source),
    Endpoint("GET", "/V1/inventory/source-items", SOURCES, list_source_items),
    Endpoint("POST", "/V1/inventory/source-items", SOURCE_ITEMS_EDIT, save_source_items),
    Endpoint("GET", "/V1/store/storeViews", STORES, store_views),
    Endpoint("GET", "/V1/store/storeConfigs", STORES, store_configs),
    Endpoint("GET", "/V1/store/websites", STORES, websites),
    Endpoint("GET", "/V1/store/storeGroups", STORES, store_groups),
]
