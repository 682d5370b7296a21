"""Magento's REST error bodies and the messages this simulator answers with.

Every error is ``{"message": "<text with %placeholders>", "parameters": {...} | [...]}`` (parameters
omitted when there are none); aggregated input errors add ``"errors": [{"message", "parameters"}]``.
Placeholders are left for the client to fill (``%1`` → ``parameters[0]``, ``%name`` → ``parameters["name"]``).

    magento_error(status, message, parameters)   -> SandboxError to raise from a handler
    required(field_name)                          -> 400 "%fieldName" is required
    bad_type(value, type_name)                    -> 400 value's type is invalid
    no_entity()                                   -> 404 sales entity missing
    not_authorized(resources)                     -> 401 ACL denied / no usable token
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.kit import SandboxError

NO_ROUTE = "Request does not match any route."
METHOD_INVALID = "Request method is invalid."
NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
NO_SKU = 'The Product with the "%1" SKU doesn\'t exist.'
NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
SIGN_IN = "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
REQUIRED = '"%fieldName" is required. Enter and try again.'
BAD_TYPE = 'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
INPUT_ERRORS = "One or more input exceptions have occurred."
DECODING = "Decoding error."
CONTENT_TYPE_EMPTY = "Content-Type header is empty."
CONTENT_TYPE_UNKNOWN = "Server cannot understand Content-Type HTTP header media type %1"
HOLD_NOT_AVAILABLE = "A hold action is not available."
UNHOLD_NOT_AVAILABLE = "You cannot remove the hold."
INVOICE_ERRORS = "Invoice Document Validation Error(s):\n"
SHIPMENT_ERRORS = "Shipment Document Validation Error(s):\n"
CREDITMEMO_ERRORS = "Creditmemo Document Validation Error(s):\n"


def body(message: str, parameters: dict[str, Any] | list[Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message}
    if parameters:
        out["parameters"] = parameters
    return out


def magento_error(status: int, message: str, parameters: dict[str, Any] | list[Any] | None = None) -> SandboxError:
    return SandboxError(status, body(message, parameters))


def required(field_name: str) -> SandboxError:
    return magento_error(400, REQUIRED, {"fieldName": field_name})


def required_many(field_names: list[str]) -> SandboxError:
    """Magento's aggregated InputException: one error keeps its own text, two or more are listed."""
    if len(field_names) == 1:
        return required(field_names[0])
    errors = [body(REQUIRED, {"fieldName": n}) for n in field_names]
    return SandboxError(400, {"message": INPUT_ERRORS, "errors": errors})


def bad_type(value: Any, type_name: str) -> SandboxError:
    return magento_error(400, BAD_TYPE, {"value": str(value), "type": type_name})


def no_entity() -> SandboxError:
    return magento_error(404, NO_ENTITY)


def not_authorized(resources: str) -> SandboxError:
    return magento_error(401, NOT_AUTHORIZED, {"resources": resources})


def internal_error() -> dict[str, Any]:
    """Production-mode body for an unexpected server error (a report id, never a trace)."""
    report = f"webapi-{secrets.token_hex(6)}"
    return body(f"Internal Error. Details are available in Magento log file. Report ID: {report}")


def validation_failed(prefix: str, messages: list[str]) -> SandboxError:
    """Sales document validation: the messages are joined into one text, with no parameters."""
    return magento_error(400, prefix + "\n".join(messages))
