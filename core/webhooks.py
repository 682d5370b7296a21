"""Whether a provider's webhook carries its connection's secret (pure; the secret never leaves the core).

Each connection that receives webhooks gets a secret of its own when it is first asked for (32 hex digits:
Zoho wants 12-50 alphanumerics). The merchant configures it at the provider; the portal's ingress hands
every request to ``VerifyWebhook`` and stores it only if this module finds the secret in it:

    hmac_sha256     Zoho: hex HMAC-SHA256 over the query parameters sorted by name (name then value, no
                    separators) followed by the raw body, in ``x-zoho-webhook-signature``
    static_header   Shiprocket: the secret itself in ``x-api-key``
    url_secret      ShipStation signs nothing: the secret is the last segment of the webhook URL
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from core.providers.model import Provider, WebhookAuth


def new_secret() -> str:
    return secrets.token_hex(16)


def zoho_signature(secret: str, query: Iterable[tuple[str, str]], body: bytes) -> str:
    message = "".join(f"{name}{value}" for name, value in sorted(query)).encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def problem(
    provider: Provider,
    secret: str,
    headers: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
    url_secret: str,
) -> str | None:
    """Why the request does not prove it comes from the provider, in plain words; None when it does."""
    scheme = provider.webhook_auth
    if scheme is WebhookAuth.URL_SECRET:
        if not url_secret:
            return "the webhook URL lacks its secret segment"
        return None if hmac.compare_digest(url_secret.encode(), secret.encode()) else "the URL's secret is wrong"
    header = provider.webhook_header or ""
    presented = headers.get(header, "")
    if not presented:
        return f"header {header} is missing"
    if scheme is WebhookAuth.HMAC_SHA256:
        expected = zoho_signature(secret, query, body)
        return None if hmac.compare_digest(presented.lower().encode(), expected.encode()) else "signature mismatch"
    if scheme is WebhookAuth.STATIC_HEADER:
        return None if hmac.compare_digest(presented.encode(), secret.encode()) else f"{header} is wrong"
    return f"{provider.title} sends no webhooks"
