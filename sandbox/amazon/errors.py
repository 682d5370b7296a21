"""SP-API and LWA error bodies, in one place.

    ApiError (SandboxError)      -- an SP-API answer ``{"errors": [{"code", "message", "details"}]}``
        invalid_input(...)       -- 400 InvalidInput naming the bad parameter
        unauthorized()           -- 403 Unauthorized (missing, unknown, expired token; wrong RDT)
        not_found(...)           -- 404 NotFound
        quota_exceeded()         -- 429 QuotaExceeded
    LwaError (SandboxError)      -- an LWA answer ``{"error", "error_description"}`` (400 or 401)

Messages marked as Amazon's own in the README come from real responses; the others name the
parameter so a developer can see what went wrong (Amazon's often say only "Invalid Input").
"""

from __future__ import annotations

from sandbox.kit import SandboxError

GENERIC_INVALID = "The input you have submitted is not valid. Please check your input and try again."
DENIED = "Access to requested resource is denied."
QUOTA = "You exceeded your quota for the requested resource."

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("InvalidInput", "Invalid Input"),
    403: ("Unauthorized", DENIED),
    404: ("NotFound", "Resource not found."),
    405: ("MethodNotAllowed", "The HTTP method is not allowed for the requested resource."),
    415: ("UnsupportedMediaType", "The request payload is in an unsupported format."),
    429: ("QuotaExceeded", QUOTA),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    502: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service temporarily unavailable. Please try again later."),
    504: ("ServiceUnavailable", "The request timed out. Please try again later."),
}


def error_body(code: str, message: str, details: str = "") -> dict[str, list[dict[str, str]]]:
    return {"errors": [{"code": code, "message": message, "details": details}]}


def body_for_status(status: int, message: str | None = None) -> dict[str, list[dict[str, str]]]:
    code, default = STATUS_CODES.get(status, ("InternalFailure", "We encountered an internal error."))
    return error_body(code, message or default)


class ApiError(SandboxError):
    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(status, error_body(code, message, details))


def invalid_input(message: str, details: str = "") -> ApiError:
    return ApiError(400, "InvalidInput", message, details)


def unauthorized() -> ApiError:
    return ApiError(403, "Unauthorized", DENIED)


def not_found(message: str = "Resource not found.") -> ApiError:
    return ApiError(404, "NotFound", message)


def quota_exceeded() -> ApiError:
    return ApiError(429, "QuotaExceeded", QUOTA)


class LwaError(SandboxError):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(status, {"error_description": description, "error": error})


def lwa_invalid_request(description: str) -> LwaError:
    return LwaError(400, "invalid_request", description)


def lwa_missing(parameter: str) -> LwaError:
    return lwa_invalid_request(f"The request is missing a required parameter : {parameter}")


def lwa_invalid_grant(parameter: str) -> LwaError:
    return LwaError(400, "invalid_grant", f"The request has an invalid grant parameter : {parameter}")


def lwa_invalid_client() -> LwaError:
    return LwaError(401, "invalid_client", "Client authentication failed")
