"""What the portal needs from the platform's settings beyond ``connectors.settings.Settings``.

The portal authenticates to the core with a service token from ``CONNECTORS_SERVICE_TOKENS``
(``name:token,name:token``): the entry named ``portal`` when there is one, so that the core's logs and
any per-caller policy see the portal as itself; otherwise the first entry (a development setup with a
single shared token). The portal holds no other secret.
"""

from __future__ import annotations

from connectors.settings import Settings

SERVICE_NAME = "portal"


def core_token(settings: Settings, name: str = SERVICE_NAME) -> str:
    """The token the portal presents to the core (``Settings.service_token``); ValueError when there is none,
    since a portal that cannot call the core should not start."""
    return settings.service_token(name)
