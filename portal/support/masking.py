"""Personal data masked for support staff's eyes (pure): customers' names, email addresses, phone numbers and
address lines inside a record's journal and links, found by field name across the providers' payloads.

    "Asha Mehta"             → "A*** M****"          names (Zoho customer_name, Shiprocket billing_customer_name,
                                                      ShipStation shipTo.name, Magento firstname, Amazon BuyerName)
    "asha.mehta@example.in"  → "a***@example.in"      emails (any field saying email, or any value that is one)
    "+91 98765 43210"        → "********3210"         phones, mobiles, telephones
    "12 MG Road"             → "1* M* R***"           address lines (address, street1, AddressLine1, Magento street)

City, state, pin code and country are kept: support needs them to reason about couriers and serviceability,
and alone they name nobody. A bare ``name`` is personal only inside an address or a customer (ShipStation's
``shipTo``, Amazon's ``ShippingAddress``, Zoho's ``billing_address``): elsewhere it is an item's or a courier's.
JSON kept inside a string (a webhook body as received) is masked inside too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_NAME_FIELDS = frozenset(
    {
        "customername", "billingcustomername", "billinglastname", "billingname", "shippingcustomername",
        "shippinglastname", "shippingname", "firstname", "lastname", "middlename", "fullname", "contactname",
        "buyername", "consigneename", "recipientname", "attention", "customerfirstname", "customerlastname",
        "customermiddlename", "pickupcustomername", "pickuplastname", "customerusername", "receivername",
    }
)  # fmt: skip
"""Fields that hold a person's name wherever they appear (keys lower-cased, without ``_`` and ``-``)."""

_CONTAINERS = frozenset(
    {
        "shipto", "billto", "soldto", "buyerinfo", "customer", "customerdetails", "consignee", "recipient",
        "contact", "contacts", "contactpersons", "person", "buyer", "receiver",
    }
)  # fmt: skip
"""Objects about a person, inside which a bare ``name`` is theirs (as is anything under an ``...address`` key)."""

_BARE_NAMES = frozenset({"name", "displayname", "company", "companyname"})
_KEPT = frozenset(
    {
        "city", "state", "stateorregion", "statecode", "region", "regioncode", "regionid", "country", "countrycode",
        "countryid", "pincode", "pin", "zip", "zipcode", "postcode", "postalcode", "addresstype", "addressid",
    }
)  # fmt: skip
"""Fields of an address that are kept (a place, not a person), even inside a masked address."""
_NOT_ADDRESS = ("id", "type", "available", "verified", "isbilling", "count")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "").replace(" ", "")


def mask_name(value: str) -> str:
    """Each word to its first letter and a star per other character: ``Asha Mehta`` → ``A*** M****``."""
    return re.sub(r"\S+", lambda m: m[0][0] + "*" * (len(m[0]) - 1), value)


def mask_email(value: str) -> str:
    """The first letter of the mailbox and the whole domain: ``asha.mehta@example.in`` → ``a***@example.in``."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return mask_name(value)
    return f"{local[0]}***@{domain}"


def mask_phone(value: str | int) -> str:
    """Only the last four digits: ``9876543210`` → ``******3210``."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(value: str) -> str:
    """Free text (an error message) with the email addresses in it masked."""
    return EMAIL_IN_TEXT.sub(lambda m: mask_email(m[0]), value)


def _kind(key: str, in_person: bool) -> str | None:
    """What a field holds: "email", "phone", "name", "address", or None (nothing personal)."""
    k = _norm(key)
    if k in _KEPT:
        return None
    if "email" in k:
        return "email"
    if "phone" in k or "mobile" in k or k.endswith("telephone") or k in ("tel", "fax"):
        return "phone"
    if k in _NAME_FIELDS or k.endswith(("firstname", "lastname")) or (in_person and k in _BARE_NAMES):
        return "name"
    if k.startswith(("street", "addressline")) or k in ("line1", "line2", "line3"):
        return "address"
    if "address" in k and not k.endswith(_NOT_ADDRESS):
        return "address"
    return None


def _is_container(key: str) -> bool:
    k = _norm(key)
    return k in _CONTAINERS or ("address" in k and not k.endswith(_NOT_ADDRESS))


def _mask_scalar(kind: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None or value == "":
        return value
    if kind == "phone" and isinstance(value, (str, int)):
        return mask_phone(value)
    if not isinstance(value, str):
        return value
    if kind == "email" or EMAIL.match(value.strip()):
        return mask_email(value)
    return mask_name(value)  # names and address lines alike: the shape stays, the words go


def _embedded(value: str) -> Any | None:
    """JSON kept in a string (an object or a list), parsed; None for any other string."""
    text = value.strip()
    if len(text) < 2 or text[0] not in "{[":
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def mask(value: Any, *, in_person: bool = False, kind: str | None = None) -> Any:
    """``value`` (JSON: dicts, lists, scalars) with every personal value masked; a new value, the input unchanged.
    ``in_person``: inside an object about a person; ``kind``: what the field holding ``value`` says it is."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            name = str(key)
            item_kind = _kind(name, in_person)
            out[key] = mask(item, in_person=in_person or _is_container(name), kind=item_kind)
        return out
    if isinstance(value, list):
        return [mask(item, in_person=in_person, kind=kind) for item in value]
    if isinstance(value, str):
        embedded = _embedded(value)
        if embedded is not None:
            return json.dumps(mask(embedded, in_person=in_person), ensure_ascii=False)
        if kind is None:
            return mask_email(value) if EMAIL.match(value.strip()) else value
        return _mask_scalar(kind, value)
    if kind is not None:
        return _mask_scalar(kind, value)
    return value


def mask_json_text(text: str) -> str:
    """An event's data as JSON text, masked (text that is not JSON is masked as free text)."""
    if not text:
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return mask_text(text)
    return json.dumps(mask(parsed), sort_keys=True, ensure_ascii=False)


def mask_links(links: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A record's identities (kind, ref): a ref whose kind names personal data (an email, a phone) is masked."""
    masked = []
    for kind, ref in links:
        field_kind = _kind(kind, in_person=False)
        if field_kind is None and EMAIL.match(ref.strip()):
            field_kind = "email"
        masked.append((kind, _mask_scalar(field_kind, ref) if field_kind else ref))
    return masked
