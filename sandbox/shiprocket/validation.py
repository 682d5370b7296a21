"""Laravel-style validation, as Shiprocket's API answers it: 422 ``{message, errors{field: [...]}, status_code}``.

Rules are data (``"required|max:50"``), checked in order per field; the first failing rule of a field
gives its message. ``present`` only needs the key to exist (even empty), and answers with the untranslated
``validation.present`` key that integrators report seeing.
"""

from __future__ import annotations

from typing import Any

from sandbox.kit import SandboxError
from sandbox.shiprocket.formats import is_email, is_phone, is_pin, parse_order_date, to_decimal

INVALID = "Oops! Invalid Data."
MISSING = "Required field missing"

ORDER_RULES: dict[str, str] = {
    "order_id": "required|max:50",
    "order_date": "required|date",
    "pickup_location": "required",
    "channel_id": "integer",
    "billing_customer_name": "required",
    "billing_last_name": "present",
    "billing_address": "required",
    "billing_city": "required|max:30",
    "billing_pincode": "required|pincode",
    "billing_state": "required",
    "billing_country": "required",
    "billing_email": "required|email",
    "billing_phone": "required|phone",
    "shipping_is_billing": "required|boolean",
    "order_items": "required|array",
    "payment_method": "required|in:COD,Prepaid",
    "shipping_charges": "numeric",
    "giftwrap_charges": "numeric",
    "transaction_charges": "numeric",
    "total_discount": "numeric",
    "sub_total": "required|numeric",
    "length": "required|numeric|gt:0.5",
    "breadth": "required|numeric|gt:0.5",
    "height": "required|numeric|gt:0.5",
    "weight": "required|numeric|gt:0",
}

SHIPPING_RULES: dict[str, str] = {
    "shipping_customer_name": "required",
    "shipping_address": "required",
    "shipping_city": "required|max:30",
    "shipping_pincode": "required|pincode",
    "shipping_country": "required",
    "shipping_state": "required",
    "shipping_phone": "required|phone",
    "shipping_email": "email",
}
"""Required only when ``shipping_is_billing`` is false."""

ITEM_RULES: dict[str, str] = {
    "name": "required",
    "sku": "required",
    "units": "required|integer|min:1",
    "selling_price": "required|numeric",
    "discount": "numeric",
    "tax": "numeric",
}

RETURN_RULES: dict[str, str] = {
    "order_id": "required|max:50",
    "order_date": "required|date",
    "channel_id": "integer",
    "pickup_customer_name": "required",
    "pickup_address": "required",
    "pickup_city": "required",
    "pickup_state": "required",
    "pickup_country": "required",
    "pickup_pincode": "required|pincode",
    "pickup_email": "required|email",
    "pickup_phone": "required|phone",
    "shipping_customer_name": "required",
    "shipping_address": "required",
    "shipping_city": "required",
    "shipping_state": "required",
    "shipping_country": "required",
    "shipping_pincode": "required|pincode",
    "shipping_email": "email",
    "shipping_phone": "required|phone",
    "order_items": "required|array",
    "payment_method": "in:PREPAID,Prepaid,prepaid",
    "total_discount": "numeric",
    "sub_total": "required|numeric",
    "length": "numeric|gt:0.5",
    "breadth": "numeric|gt:0.5",
    "height": "numeric|gt:0.5",
    "weight": "numeric|gt:0",
}

PICKUP_RULES: dict[str, str] = {
    "pickup_location": "required|max:36",
    "name": "required",
    "email": "required|email",
    "phone": "required|phone",
    "address": "required|min_len:10",
    "city": "required",
    "state": "required",
    "country": "required",
    "pin_code": "required|pincode",
}

TRUE_VALUES = (True, 1, "1", "true", "TRUE", "True")
FALSE_VALUES = (False, 0, "0", "false", "FALSE", "False")


def _attr(name: str) -> str:
    return name.replace("_", " ") if "." not in name else name


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def check_field(name: str, data: dict[str, Any], rules: str) -> str | None:
    """The message for the first rule ``data[name]`` breaks, or None."""
    attr = _attr(name)
    present = name in data
    value = data.get(name)
    for rule in rules.split("|"):
        kind, _, arg = rule.partition(":")
        if kind == "present":
            if not present:
                return "validation.present"
            continue
        if kind == "required":
            if _blank(value):
                return f"The {attr} field is required."
            continue
        if _blank(value):
            return None
        if kind == "max" and len(str(value)) > int(arg):
            return f"The {attr} may not be greater than {arg} characters."
        if kind == "min_len" and len(str(value).strip()) < int(arg):
            return f"The {attr} must be at least {arg} characters."
        if kind == "numeric" and to_decimal(value) is None:
            return f"The {attr} must be a number."
        if kind == "integer":
            d = to_decimal(value)
            if d is None or d != d.to_integral_value():
                return f"The {attr} must be an integer."
        if kind == "min":
            d = to_decimal(value)
            if d is not None and d < to_decimal(arg):  # type: ignore[operator]
                return f"The {attr} must be at least {arg}."
        if kind == "gt":
            d = to_decimal(value)
            if d is not None and d <= to_decimal(arg):  # type: ignore[operator]
                return f"The {attr} must be greater than {arg}."
        if kind == "email" and not is_email(value):
            return f"The {attr} must be a valid email address."
        if kind == "pincode" and not is_pin(value):
            return f"The {attr} must be 6 digits."
        if kind == "phone" and not is_phone(value):
            return f"The {attr} must be a valid 10 digit mobile number."
        if kind == "boolean" and value not in TRUE_VALUES and value not in FALSE_VALUES:
            return f"The {attr} field must be true or false."
        if kind == "array" and not isinstance(value, list):
            return f"The {attr} must be an array."
        if kind == "date" and parse_order_date(value) is None:
            return f"The {attr} is not a valid date."
        if kind == "in" and str(value).strip().lower() not in [a.lower() for a in arg.split(",")]:
            return f"The selected {attr} is invalid."
    return None


def check(data: dict[str, Any], rules: dict[str, str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, spec in rules.items():
        message = check_field(name, data, spec)
        if message:
            errors[name] = [message]
    return errors


def check_items(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    items = data.get("order_items")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"order_items.{i}"] = [f"The order_items.{i} must be an array."]
            continue
        for name, spec in ITEM_RULES.items():
            message = check_field(name, item, spec)
            if message:
                key = f"order_items.{i}.{name}"
                errors[key] = [message.replace(f"The {_attr(name)} ", f"The {key} ", 1)]


def is_true(value: Any) -> bool:
    return value in TRUE_VALUES


def fail(errors: dict[str, list[str]], message: str = INVALID) -> SandboxError:
    return SandboxError(422, {"message": message, "errors": errors, "status_code": 422})


def require_order(data: dict[str, Any]) -> None:
    errors = check(data, ORDER_RULES)
    if "shipping_is_billing" not in errors and not is_true(data.get("shipping_is_billing")):
        errors.update(check(data, SHIPPING_RULES))
    check_items(data, errors)
    if errors:
        raise fail(errors)


def require_return(data: dict[str, Any]) -> None:
    errors = check(data, RETURN_RULES)
    check_items(data, errors)
    if errors:
        raise fail(errors)


def require_pickup(data: dict[str, Any]) -> None:
    errors = check(data, PICKUP_RULES)
    if errors:
        message = "Not a valid mobile number" if "phone" in errors else INVALID
        raise fail(errors, message)
