"""Placing an order the way a storefront checkout would: lines, addresses, payment, stock, first state.

Used by the admin routes (``POST /_sandbox/orders``, ``/_sandbox/seed``) and the demo seed; the REST API
itself offers no order placement here (Magento's ``POST /V1/orders`` save is not for new orders).

    cashondelivery / checkmo / banktransfer -> new / pending
    razorpay (prepaid, captured)            -> processing / processing, invoiced automatically
    razorpay with "pending": true           -> pending_payment / pending_payment
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.magento import sales
from sandbox.magento.state import ZERO, Address, Order, OrderItem, Payment, Store, money

SHIPPING_METHODS: dict[str, tuple[str, str]] = {
    "flatrate_flatrate": ("Flat Rate - Fixed", "60"),
    "freeshipping_freeshipping": ("Free Shipping - Free", "0"),
    "tablerate_bestway": ("Best Way - Table Rate", "99"),
}

REGIONS: dict[str, tuple[str, int]] = {
    "Maharashtra": ("MH", 553),
    "Karnataka": ("KA", 548),
    "Delhi": ("DL", 540),
    "Tamil Nadu": ("TN", 563),
    "West Bengal": ("WB", 569),
    "Telangana": ("TG", 564),
    "Rajasthan": ("RJ", 561),
    "Gujarat": ("GJ", 542),
    "Uttar Pradesh": ("UP", 567),
    "Kerala": ("KL", 549),
}


class CheckoutError(ValueError):
    """A bad admin order spec (answered 400 on the admin surface)."""


@dataclass(frozen=True)
class Customer:
    firstname: str
    lastname: str
    email: str
    telephone: str
    street: tuple[str, ...]
    city: str
    region: str
    postcode: str
    customer_id: int | None = None


def customer_from(spec: dict[str, Any], fallback: Customer) -> Customer:
    if not spec:
        return fallback
    region = spec.get("region", fallback.region)
    if region not in REGIONS:
        raise CheckoutError(f"region must be one of {', '.join(REGIONS)}")
    street = spec.get("street", list(fallback.street))
    return Customer(
        firstname=str(spec.get("firstname", fallback.firstname)),
        lastname=str(spec.get("lastname", fallback.lastname)),
        email=str(spec.get("email", fallback.email)),
        telephone=str(spec.get("telephone", fallback.telephone)),
        street=tuple(street if isinstance(street, list) else [str(street)]),
        city=str(spec.get("city", fallback.city)),
        region=region,
        postcode=str(spec.get("postcode", fallback.postcode)),
        customer_id=spec.get("customer_id", fallback.customer_id),
    )


def _address(store: Store, c: Customer, kind: str, order_id: int) -> Address:
    code, region_id = REGIONS[c.region]
    return Address(
        firstname=c.firstname,
        lastname=c.lastname,
        street=list(c.street),
        city=c.city,
        region=c.region,
        region_code=code,
        region_id=region_id,
        postcode=c.postcode,
        telephone=c.telephone,
        email=c.email,
        entity_id=store.seq.next("sales_order_address"),
        parent_id=order_id,
        address_type=kind,
    )


def place(
    store: Store,
    now: datetime,
    customer: Customer,
    lines: list[tuple[str, Decimal]],
    *,
    payment_method: str = "cashondelivery",
    shipping_method: str = "flatrate_flatrate",
    pending_payment: bool = False,
    discount: Decimal = ZERO,
) -> Order:
    if not lines:
        raise CheckoutError("an order needs at least one item")
    if shipping_method not in SHIPPING_METHODS:
        raise CheckoutError(f"shipping_method must be one of {', '.join(SHIPPING_METHODS)}")
    for sku, qty in lines:
        product = store.products.get(sku)
        if product is None:
            raise CheckoutError(f"unknown sku {sku!r}")
        if product.type_id == "configurable":
            raise CheckoutError(f"{sku!r} is a configurable parent; order one of its children {product.children}")
        if qty <= 0:
            raise CheckoutError("qty must be positive")

    order_id = store.seq.next("sales_order")
    items: list[OrderItem] = []
    for sku, qty in lines:
        product = store.products[sku]
        parent = store.products.get(product.parent_sku) if product.parent_sku else None
        line: OrderItem | None = None
        if parent is not None:
            line = OrderItem(
                item_id=store.seq.next("sales_order_item"),
                order_id=order_id,
                product_id=parent.id,
                sku=product.sku,
                name=parent.name,
                product_type="configurable",
                qty_ordered=qty,
                price=product.price,
                tax_percent=product.tax_percent,
                weight=product.weight,
                created_at=now,
                updated_at=now,
                product_options={
                    "configurable_item_options": [
                        {"option_id": "141", "option_value": product.attributes.get("size_id", product.id)}
                    ]
                },
            )
            items.append(line)
        # The simple product's own line; under a configurable one it is the child of the parent line.
        items.append(
            OrderItem(
                item_id=store.seq.next("sales_order_item"),
                order_id=order_id,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                product_type="simple",
                qty_ordered=qty,
                price=product.price,
                tax_percent=product.tax_percent,
                weight=product.weight,
                created_at=now,
                updated_at=now,
                parent_item_id=line.item_id if line is not None else None,
            )
        )
        sales.restock(store, sku, -qty)

    description, rate = SHIPPING_METHODS[shipping_method]
    shipping_amount = money(rate)
    online = payment_method not in ("cashondelivery", "checkmo", "banktransfer", "purchaseorder", "free")
    payment = Payment(
        method=payment_method,
        entity_id=store.seq.next("sales_order_payment"),
        amount_ordered=ZERO,
        shipping_amount=shipping_amount,
    )
    order = Order(
        entity_id=order_id,
        increment_id=store.increment("order"),
        state="new",
        status="pending",
        created_at=now,
        updated_at=now,
        customer_email=customer.email,
        customer_firstname=customer.firstname,
        customer_lastname=customer.lastname,
        customer_id=customer.customer_id,
        billing=_address(store, customer, "billing", order_id),
        shipping=_address(store, customer, "shipping", order_id),
        payment=payment,
        items=items,
        shipping_method=shipping_method,
        shipping_description=description,
        shipping_amount=shipping_amount,
        discount_amount=money(discount),
        quote_id=order_id + 500,
    )
    payment.amount_ordered = order.grand_total
    store.orders[order_id] = order
    if online and pending_payment:
        sales.set_state(order, "pending_payment", now)
        payment.additional_information.append(f"order_{secrets.token_hex(7)}")
    elif online:
        payment.last_trans_id = f"pay_{secrets.token_urlsafe(10).replace('-', 'x').replace('_', 'y')}"
        payment.additional_information.append(payment.last_trans_id)
        sales.add_history(
            store,
            order,
            now,
            f'Captured amount of ₹{order.grand_total:,.2f} online. Transaction ID: "{payment.last_trans_id}"',
            status="processing",
            notified=None,
        )
        sales.invoice(store, order, now, None, capture=True, comment=None)
    return order
