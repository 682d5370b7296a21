"""Whether a webhook delivery carries its connection's secret: pure, shared by the core's ``VerifyWebhook``
and the portal's ingress (which verifies with a verifier the core handed it; ``portal.verifiers``).

    hmac_sha256     Zoho: hex HMAC-SHA256 over the query parameters sorted by name (name then value, no
                    separators) followed by the raw body, in the scheme's header (``x-zoho-webhook-signature``)
    static_header   Shiprocket: the secret itself in the scheme's header (``x-api-key``)
    url_secret      ShipStation signs nothing: the secret is the last segment of the webhook URL

Every comparison takes constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

HMAC_SHA256 = "hmac_sha256"
STATIC_HEADER = "static_header"
URL_SECRET = "url_secret"


def zoho_signature(secret: str, query: Iterable[tuple[str, str]], body: bytes) -> str:
    message = "".join(f"{name}{value}" for name, value in sorted(query)).encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def problem(
    scheme: str,
    header: str,
    secret: str,
    headers: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
    url_secret: str,
) -> str | None:
    """Why the delivery does not prove it comes from the provider, in plain words; None when it does.

    ``header``: the lower-case name of the header the scheme reads; ``headers``: lower-case names."""
    if scheme == URL_SECRET:
        if not url_secret:
            return "the webhook URL lacks its secret segment"
        return None if hmac.compare_digest(url_secret.encode(), secret.encode()) else "the URL's secret is wrong"
    presented = headers.get(header, "")
    if not presented:
        return f"header {header} is missing"
    if scheme == HMAC_SHA256:
        expected = zoho_signature(secret, query, body)
        return None if hmac.compare_digest(presented.lower().encode(), expected.encode()) else "signature mismatch"
    if scheme == STATIC_HEADER:
        return None if hmac.compare_digest(presented.encode(), secret.encode()) else f"{header} is wrong"
    raise ValueError(f"unknown webhook scheme {scheme!r}")
