"""Marketplaces and the regional endpoint that serves each (India is served from the EU endpoint)."""

from __future__ import annotations

INDIA = "A21TJRUUN4KGV"

REGION_OF: dict[str, str] = {
    # North America
    "A2EUQ1WTGCTBG2": "na",  # CA
    "ATVPDKIKX0DER": "na",  # US
    "A1AM78C64UM0Y8": "na",  # MX
    "A2Q3Y263D00KWC": "na",  # BR
    # Europe (with India, UAE, Turkey, Saudi Arabia, Egypt, South Africa)
    "A1RKKUPIHCS9HS": "eu",  # ES
    "A1F83G8C2ARO7P": "eu",  # GB
    "A13V1IB3VIYZZH": "eu",  # FR
    "AMEN7PMS3EDWL": "eu",  # BE
    "A1805IZSGTT6HS": "eu",  # NL
    "A1PA6795UKMFR9": "eu",  # DE
    "APJ6JRA9NG5V4": "eu",  # IT
    "A2NODRKZP88ZB9": "eu",  # SE
    "AE08WJ6YKNBMC": "eu",  # ZA
    "A1C3SOZRARQ6R3": "eu",  # PL
    "ARBP9OOSHTCHU": "eu",  # EG
    "A33AVAJ2PDY3EV": "eu",  # TR
    "A17E79C6D8DWNP": "eu",  # SA
    "A2VIGQ35RCS4UG": "eu",  # AE
    INDIA: "eu",  # IN
    "A28R8C7NBKEWEA": "eu",  # IE
    # Far East
    "A19VAU5U5O7RUS": "fe",  # SG
    "A39IBJ37TRP1C6": "fe",  # AU
    "A1VC38T7YXB528": "fe",  # JP
}

SALES_CHANNEL: dict[str, str] = {INDIA: "Amazon.in"}


def region_of_listener(listener: str) -> str | None:
    """``api:eu`` → ``eu``; the LWA listener has no region."""
    return listener.split(":", 1)[1] if listener.startswith("api:") else None
