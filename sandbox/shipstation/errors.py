"""ShipStation V1 error bodies (ASP.NET Web API shapes) and the switch to the lower-case variant.

    invalid(model_state)   400  {"Message": "The request is invalid.", "ModelState": {field: [reasons]}}
    exception(text)        4xx/5xx {"Message": "An error has occurred.", "ExceptionMessage", "ExceptionType",
                                    "StackTrace": null}
    message(status, text)  any  {"Message": text}  (401, 404 routing, 405, 429)

With the ``lowercase`` style (``POST /_sandbox/errors {"style": "lowercase"}``) every body becomes
``{"message": "<text>"}`` as the V1 OpenAPI shows for 400s.
"""

from __future__ import annotations

from typing import Any, Literal

from sandbox.kit import SandboxError

Style = Literal["aspnet", "lowercase"]
STYLES: tuple[str, ...] = ("aspnet", "lowercase")

UNAUTHORIZED = "Authorization has been denied for this request."
TOO_MANY = "Too Many Requests"
INVALID = "The request is invalid."
OCCURRED = "An error has occurred."


class ErrorStyle:
    """Holds the simulator-wide error body style and renders bodies in it."""

    def __init__(self) -> None:
        self.style: Style = "aspnet"

    def set(self, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        self.style = style  # type: ignore[assignment]

    def message(self, text: str) -> dict[str, Any]:
        return {"message": text} if self.style == "lowercase" else {"Message": text}

    def invalid(self, model_state: dict[str, list[str]]) -> dict[str, Any]:
        if self.style == "lowercase":
            first = next(iter(model_state.values()), [INVALID])
            return {"message": first[0] if first else INVALID}
        return {"Message": INVALID, "ModelState": model_state}

    def exception(self, text: str, kind: str = "System.InvalidOperationException") -> dict[str, Any]:
        if self.style == "lowercase":
            return {"message": text}
        return {"Message": OCCURRED, "ExceptionMessage": text, "ExceptionType": kind, "StackTrace": None}

    # ------------------------------------------------------------------ raising helpers
    def bad_field(self, field: str, reason: str) -> SandboxError:
        return SandboxError(400, self.invalid({field: [reason]}))

    def bad_value(self, field: str, value: str) -> SandboxError:
        return self.bad_field(field, f"The value '{value}' is not valid for {field}.")

    def required(self, field: str, prefix: str = "apiOrder") -> SandboxError:
        name = field.split(".")[-1]
        return self.bad_field(f"{prefix}.{field}", f"The {name} field is required.")

    def failed(self, status: int, text: str, kind: str = "System.InvalidOperationException") -> SandboxError:
        return SandboxError(status, self.exception(text, kind))

    def not_found(self, text: str) -> SandboxError:
        return SandboxError(404, self.message(text))
