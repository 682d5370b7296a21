"""Zoho's error bodies: ``{"code": n, "message": "..."}`` for the APIs, ``{"error": ...}`` for Accounts.

    ZohoError(SandboxError)      -- an API error in Zoho's envelope (status, code, message)
    AccountsError(SandboxError)  -- an Accounts (OAuth) error; Zoho answers most of them with HTTP 200

Codes 14, 57, 1002, 5, 37 and 1000 are documented or seen from real clients; the others are this
sandbox's choice where Zoho publishes no number (see CODES and sandbox/zoho/README.md).
"""

from __future__ import annotations

from typing import Any

from sandbox.kit.errors import SandboxError

CODES: dict[str, int] = {
    "invalid_value": 2,  # "Invalid value passed for X" [unverified number]
    "invalid_json": 4,  # "Invalid value passed for JSONString"
    "invalid_url": 5,
    "auth_header": 14,  # no or malformed Authorization header
    "method": 37,
    "rate_minute": 44,  # [unverified number] per-organisation per-minute limit
    "rate_day": 45,  # [unverified number] per-organisation daily cap
    "concurrency": 46,  # [unverified number] too many calls in flight
    "not_authorized": 57,  # dead token, wrong data centre or missing scope
    "internal": 1000,
    "duplicate": 1001,  # [unverified number] "... already exists"
    "not_found": 1002,
    "state": 1014,  # [unverified number] operation not allowed in the record's status
    "organization": 6041,  # the user is not associated with the organisation
    "unbalanced": 13010,  # [unverified number] journal debits and credits differ
}

RATE_MINUTE_MESSAGE = (
    "You have made too many requests continuously. Please try again after some time. "
    "(limit: 100 requests per minute per organization)"
)
RATE_DAY_MESSAGE = "You have reached the maximum number of API calls allowed per day for your organization."
NOT_AUTHORIZED_MESSAGE = "You are not authorized to perform this operation"


class ZohoError(SandboxError):
    def __init__(self, status: int, code: int | str, message: str, headers: dict[str, str] | None = None) -> None:
        number = CODES[code] if isinstance(code, str) else code
        super().__init__(status, {"code": number, "message": message}, headers=headers)
        self.code = number
        self.message = message


class AccountsError(SandboxError):
    def __init__(self, body: dict[str, Any], status: int = 200) -> None:
        super().__init__(status, body)


def invalid(field: str, detail: str | None = None) -> ZohoError:
    return ZohoError(400, "invalid_value", detail or f"Invalid value passed for {field}")


def required(field: str) -> ZohoError:
    return ZohoError(400, "invalid_value", f"Invalid value passed for {field}: it is required")


def not_found(label: str) -> ZohoError:
    return ZohoError(404, "not_found", f"{label} does not exist.")


def duplicate(label: str, value: str) -> ZohoError:
    return ZohoError(400, "duplicate", f'{label} "{value}" already exists.')


def state(message: str) -> ZohoError:
    return ZohoError(400, "state", message)


def not_authorized() -> ZohoError:
    return ZohoError(401, "not_authorized", NOT_AUTHORIZED_MESSAGE)


SERVER_ERROR_CODES: dict[int, int] = {500: 1000, 502: 1000, 503: 1000, 504: 1000}
"""Zoho code for injected 5xx answers: Zoho's generic internal error."""
