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
    """The token the portal presents to the core: the entry called ``name``, else the first one.

    Raises ValueError when the setting holds no ``name:token`` entry at all (the portal could not call the
    core, so it should not start).
    """
    entries: list[tuple[str, str]] = []
    for item in settings.service_tokens.split(","):
        entry_name, sep, token = item.strip().partition(":")
        if sep and entry_name and token:
            entries.append((entry_name, token))
    if not entries:
        raise ValueError("CONNECTORS_SERVICE_TOKENS has no 'name:token' entry: the portal cannot call the core")
    return next((token for entry_name, token in entries if entry_name == name), entries[0][1])
