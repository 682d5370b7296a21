"""What the portal needs beyond ``connectors.settings.Settings``: its service token to the core, and the
settings of its pages (``PortalConfig``, from the environment, one line of doc each).

The portal authenticates to the core with a service token from ``CONNECTORS_SERVICE_TOKENS``
(``name:token,name:token``): the entry named ``portal`` when there is one, so that the core's logs and
any per-caller policy see the portal as itself; otherwise the first entry (a development setup with a
single shared token). Besides it the portal holds only the secret its CSRF tokens are signed with.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from connectors.settings import Settings

SERVICE_NAME = "portal"


def core_token(settings: Settings, name: str = SERVICE_NAME) -> str:
    """The token the portal presents to the core (``Settings.service_token``); ValueError when there is none,
    since a portal that cannot call the core should not start."""
    return settings.service_token(name)


@dataclass(frozen=True)
class PortalConfig:
    public_url: str = "http://127.0.0.1:8000"
    """CONNECTORS_PORTAL_PUBLIC_URL: the portal as providers and browsers reach it (webhook URLs, the OAuth
    redirect); an https URL turns on Secure cookies."""
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    """CONNECTORS_PORTAL_SECRET: signs CSRF tokens; every replica needs the same one (random per process when
    unset, which only a single development process can afford)."""
    idle_minutes: float = 30
    """CONNECTORS_PORTAL_IDLE_MINUTES: a session unused this long is over."""
    absolute_hours: float = 12
    """CONNECTORS_PORTAL_ABSOLUTE_HOURS: a session this old is over, however busy."""
    login_failures_per_hour: int = 100
    """CONNECTORS_PORTAL_LOGIN_FAILURES_PER_HOUR: failed logins allowed per account in an hour (ten times as many
    per address)."""

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> PortalConfig:
        env = os.environ
        default_url = f"http://{settings.portal_addr}" if settings else cls.public_url
        return cls(
            public_url=env.get("CONNECTORS_PORTAL_PUBLIC_URL", default_url).rstrip("/"),
            secret=env.get("CONNECTORS_PORTAL_SECRET") or secrets.token_urlsafe(32),
            idle_minutes=float(env.get("CONNECTORS_PORTAL_IDLE_MINUTES", str(cls.idle_minutes))),
            absolute_hours=float(env.get("CONNECTORS_PORTAL_ABSOLUTE_HOURS", str(cls.absolute_hours))),
            login_failures_per_hour=int(
                env.get("CONNECTORS_PORTAL_LOGIN_FAILURES_PER_HOUR", str(cls.login_failures_per_hour))
            ),
        )
