"""Where each sandbox listens by default: one table, read by the simulators and by the provider catalogue.

All on ``CONNECTORS_SANDBOX_HOST`` (127.0.0.1), shifted together by ``CONNECTORS_SANDBOX_PORT_OFFSET``.
"""

from __future__ import annotations

ZOHO_DATA_CENTRES = ("us", "eu", "in", "au", "jp", "ca", "cn", "sa")

DEFAULT_PORTS: dict[str, dict[str, int]] = {
    "zoho": {
        **{f"accounts:{dc}": 9110 + i for i, dc in enumerate(ZOHO_DATA_CENTRES)},
        **{f"api:{dc}": 9120 + i for i, dc in enumerate(ZOHO_DATA_CENTRES)},
    },
    "shiprocket": {"api": 9130},
    "shipstation": {"api": 9140},
    "magento": {"api": 9150},
    "amazon": {"lwa": 9160, "api:eu": 9161, "api:na": 9162, "api:fe": 9163},
}


def sandbox_url(provider: str, listener: str, host: str = "127.0.0.1", offset: int = 0) -> str:
    return f"http://{host}:{DEFAULT_PORTS[provider][listener] + offset}"
