"""Webhook secrets: generated here, one per connection that receives webhooks, when first asked for (32 hex
digits: Zoho wants 12-50 alphanumerics). The merchant configures it at the provider; a delivery proves it
is genuine by carrying it as its provider's scheme says (``connectors.webhook_auth``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from connectors import webhook_auth
from core.providers.model import Provider, WebhookAuth


def new_secret() -> str:
    return secrets.token_hex(16)


def problem(
    provider: Provider,
    secret: str,
    headers: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
    url_secret: str,
) -> str | None:
    """Why the request does not prove it comes from the provider, in plain words; None when it does."""
    if provider.webhook_auth is WebhookAuth.NONE:
        return f"{provider.title} sends no webhooks"
    return webhook_auth.problem(
        provider.webhook_auth.value, provider.webhook_header or "", secret, headers, query, body, url_secret
    )
