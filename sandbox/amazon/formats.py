"""How SP-API writes things: ISO 8601 UTC ``Z`` timestamps, string Money, 3-7-7 order ids, opaque tokens."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CURRENCY = "INR"
CENTS = Decimal("0.01")

ORDER_ID_RE = re.compile(r"^\d{3}-\d{7}-\d{7}$")
_ISO_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"  # date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"  # optional time
    r"(?:Z|z|[+-]\d{2}:?\d{2})?)?$"  # optional zone
)
_ALNUM = string.ascii_uppercase + string.digits


def iso(moment: datetime) -> str:
    """``2024-05-01T10:20:30Z``: the form every Orders v0 timestamp takes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_second(moment: datetime) -> datetime:
    """Amazon's order timestamps carry whole seconds; keeping them so makes filters exact."""
    return moment.astimezone(UTC).replace(microsecond=0)


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (no zone means UTC), or None when it is not one."""
    value = text.strip()
    if not _ISO_RE.match(value):
        return None
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    if re.search(r"[+-]\d{4}$", value):
        value = value[:-2] + ":" + value[-2:]
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def money(amount: Decimal, currency: str = CURRENCY) -> dict[str, str]:
    """``{"CurrencyCode": "INR", "Amount": "499.00"}`` — the amount is always a string."""
    return {"CurrencyCode": currency, "Amount": f"{cents(amount):.2f}"}


def selling_partner_id() -> str:
    return "A" + "".join(secrets.choice(_ALNUM) for _ in range(13))


def lwa_client_id() -> str:
    return "amzn1.application-oa2-client." + secrets.token_hex(16)


def lwa_client_secret() -> str:
    return "amzn1.oa2-cs.v1." + secrets.token_hex(32)


def application_id() -> str:
    return f"amzn1.sp.solution.{uuid.uuid4()}"


def refresh_token() -> str:
    return "Atzr|IwEB" + secrets.token_urlsafe(96)


def access_token() -> str:
    return "Atza|IwEB" + secrets.token_urlsafe(96)


def restricted_data_token() -> str:
    return "Atz.sprdt|IwEB" + secrets.token_urlsafe(96)


def authorization_code() -> str:
    return "ANDM" + "".join(secrets.choice(string.ascii_letters) for _ in range(20))


def request_id() -> str:
    return str(uuid.uuid4())


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None (the API omits absent fields rather than sending null)."""
    return {k: v for k, v in data.items() if v is not None}
