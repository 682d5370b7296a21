"""Whether a cached token is still good to hand out: pure decisions on times, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.providers.model import Provider


def needs_refresh(provider: Provider, now: datetime, issued_at: datetime | None, expires_at: datetime | None) -> bool:
    """True when there is no token, it is inside the refresh margin, or older than the provider allows."""
    if provider.token_lifetime is None:
        return False  # static credentials (ShipStation key pair, Magento integration token)
    if issued_at is None or expires_at is None:
        return True
    if now >= expires_at - provider.refresh_margin:
        return True
    return provider.refresh_after is not None and now - issued_at >= provider.refresh_after


def expiry(provider: Provider, issued_at: datetime, expires_in: float | None) -> datetime | None:
    """When a token issued now expires: the provider's own figure, else the catalogue's lifetime."""
    if expires_in is not None:
        return issued_at + timedelta(seconds=expires_in)
    if provider.token_lifetime is not None:
        return issued_at + provider.token_lifetime
    return None
