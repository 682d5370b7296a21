"""Webhook secrets: generated here, one per connection that receives webhooks, when first asked for (32 hex
digits: Zoho wants 12-50 alphanumerics). The merchant configures it at the provider; a delivery proves it
is genuine by carrying it as its provider's scheme says (``connectors.webhook_auth``, which the core's
``VerifyWebhook`` and the portal's ingress both use)."""

from __future__ import annotations

import secrets


def new_secret() -> str:
    return secrets.token_hex(16)
