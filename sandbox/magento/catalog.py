"""How Magento's REST API writes catalog and inventory entities: products, stock items, MSI sources."""

from __future__ import annotations

from typing import Any

from sandbox.magento.formats import num, ts
from sandbox.magento.state import Product, Source, SourceItem, StockItem, Store


def stock_item(s: StockItem) -> dict[str, Any]:
    return {
        "item_id": s.item_id,
        "product_id": s.product_id,
        "stock_id": 1,
        "qty": num(s.qty),
        "is_in_stock": s.is_in_stock,
        "is_qty_decimal": False,
        "show_default_notification_message": False,
        "use_config_min_qty": True,
        "min_qty": 0,
        "use_config_min_sale_qty": 1,
        "min_sale_qty": 1,
        "use_config_max_sale_qty": True,
        "max_sale_qty": 10000,
        "use_config_backorders": True,
        "backorders": 0,
        "use_config_notify_stock_qty": True,
        "notify_stock_qty": 1,
        "use_config_qty_increments": True,
        "qty_increments": 0,
        "use_config_enable_qty_inc": True,
        "enable_qty_increments": False,
        "use_config_manage_stock": True,
        "manage_stock": s.manage_stock,
        "low_stock_date": ts(s.low_stock_date) if s.low_stock_date else None,
        "is_decimal_divided": False,
        "stock_status_changed_auto": 0,
    }


def product(p: Product, store: Store, *, with_stock: bool = True) -> dict[str, Any]:
    ext: dict[str, Any] = {"website_ids": [store.website_id], "category_links": []}
    if with_stock and p.sku in store.stock:
        ext["stock_item"] = stock_item(store.stock[p.sku])
    if p.type_id == "configurable":
        kids = [store.products[s] for s in p.children if s in store.products]
        attr = p.configurable_attribute or "size"
        ext["configurable_product_options"] = [
            {
                "id": p.id,
                "attribute_id": "141" if attr == "size" else "93",
                "label": attr.capitalize(),
                "position": 0,
                "values": [{"value_index": k.attributes.get(f"{attr}_id", k.id)} for k in kids],
                "product_id": p.id,
            }
        ]
        ext["configurable_product_links"] = [k.id for k in kids]
    custom = [{"attribute_code": k, "value": v} for k, v in p.attributes.items()]
    custom.append({"attribute_code": "tax_class_id", "value": "2"})
    out: dict[str, Any] = {
        "id": p.id,
        "sku": p.sku,
        "name": p.name,
        "attribute_set_id": p.attribute_set_id,
        "price": num(p.price) if p.type_id != "configurable" else 0,
        "status": p.status,
        "visibility": p.visibility,
        "type_id": p.type_id,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "extension_attributes": ext,
        "product_links": [],
        "options": [],
        "media_gallery_entries": [],
        "tier_prices": [],
        "custom_attributes": custom,
    }
    if p.type_id != "configurable":
        out["weight"] = num(p.weight)
    return out


def source(s: Source) -> dict[str, Any]:
    return {
        "source_code": s.source_code,
        "name": s.name,
        "enabled": s.enabled,
        "latitude": 0,
        "longitude": 0,
        "country_id": s.country_id,
        "region_id": s.region_id,
        "city": s.city,
        "postcode": s.postcode,
        "use_default_carrier_config": True,
        "carrier_links": [],
    }


def source_item(s: SourceItem) -> dict[str, Any]:
    return {"sku": s.sku, "source_code": s.source_code, "quantity": num(s.quantity), "status": s.status}
