"""Customers, created implicitly from orders' ``customerEmail``/``customerUsername``.

One customer per e-mail (or, without one, per username); each store's marketplace the customer bought through
adds a ``marketplaceUsernames`` entry. The customer's address follows the latest order's ship-to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.shipstation import catalog
from sandbox.shipstation.formats import pacific
from sandbox.shipstation.query import Query
from sandbox.shipstation.state import Account, Customer, Ids, Order


def identity(order: Order) -> str | None:
    if order.customer_email:
        return "email:" + order.customer_email.strip().lower()
    if order.customer_username:
        return "user:" + order.customer_username.strip().lower()
    return None


def link(account: Account, order: Order, ids: Ids, now: datetime) -> Customer | None:
    """Find or create the order's customer, refresh it from the order, and set ``order.customer_id``."""
    key = identity(order)
    if key is None:
        order.customer_id = None
        return None
    to = order.ship_to
    customer_id = account.customer_identities.get(key)
    customer = account.customers.get(customer_id) if customer_id else None
    if customer is None:
        customer = Customer(
            customer_id=next(ids.customer),
            identity=key,
            create_date=now,
            modify_date=now,
            name=None,
            company=None,
            street1=None,
            street2=None,
            city=None,
            state=None,
            postal_code=None,
            country_code=None,
            phone=None,
            email=None,
            address_verified=None,
        )
        account.customers[customer.customer_id] = customer
        account.customer_identities[key] = customer.customer_id
    customer.name = to.get("name") or order.bill_to.get("name") or customer.name
    customer.company = to.get("company")
    customer.street1, customer.street2 = to.get("street1"), to.get("street2")
    customer.city, customer.state = to.get("city"), to.get("state")
    customer.postal_code, customer.country_code = to.get("postalCode"), to.get("country")
    customer.phone = to.get("phone")
    customer.email = order.customer_email or customer.email
    customer.address_verified = to.get("addressVerified")
    customer.modify_date = now
    store = account.stores.get(order.store_id or 0)
    marketplace_id = store.marketplace_id if store else 0
    username = order.customer_username or order.customer_email
    known = {(m["marketplaceId"], m["username"]) for m in customer.marketplace_usernames}
    if username and (marketplace_id, username) not in known:
        customer.marketplace_usernames.append(
            {
                "customerUserId": next(ids.customer),
                "customerId": customer.customer_id,
                "createDate": now,
                "modifyDate": now,
                "marketplaceId": marketplace_id,
                "marketplace": catalog.MARKETPLACES.get(marketplace_id, "ShipStation"),
                "username": username,
            }
        )
    order.customer_id = customer.customer_id
    return customer


def render(c: Customer, account: Account) -> dict[str, Any]:
    return {
        "customerId": c.customer_id,
        "createDate": pacific(c.create_date),
        "modifyDate": pacific(c.modify_date),
        "name": c.name,
        "company": c.company,
        "street1": c.street1,
        "street2": c.street2,
        "city": c.city,
        "state": c.state,
        "postalCode": c.postal_code,
        "countryCode": c.country_code,
        "phone": c.phone,
        "email": c.email,
        "addressVerified": c.address_verified,
        "marketplaceUsernames": [
            {**m, "createDate": pacific(m["createDate"]), "modifyDate": pacific(m["modifyDate"])}
            for m in c.marketplace_usernames
        ],
        "tags": [dict(account.tags[t]) for t in c.tag_ids if t in account.tags] or None,
    }


@dataclass(frozen=True)
class CustomerFilter:
    state: str | None
    country: str | None
    marketplace_id: int | None
    tag_id: int | None

    @classmethod
    def parse(cls, q: Query) -> CustomerFilter:
        state, country = q.text("stateCode"), q.text("countryCode")
        return cls(
            state=state.strip().lower() if state else None,
            country=country.strip().lower() if country else None,
            marketplace_id=q.integer("marketplaceId"),
            tag_id=q.integer("tagId"),
        )

    def matches(self, c: Customer) -> bool:
        return (
            (self.state is None or self.state == (c.state or "").lower())
            and (self.country is None or self.country == (c.country_code or "").lower())
            and (
                self.marketplace_id is None
                or any(m["marketplaceId"] == self.marketplace_id for m in c.marketplace_usernames)
            )
            and (self.tag_id is None or self.tag_id in c.tag_ids)
        )


def sort_value(c: Customer, field: str) -> Any:
    return {"name": (c.name or "").lower(), "modifyDate": c.modify_date, "createDate": c.create_date}[field]
