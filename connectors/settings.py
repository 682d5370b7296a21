"""Settings from the environment, one line of doc each. Read once per process via ``Settings.from_env()``."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/connectors"
    """CONNECTORS_DATABASE_URL: the platform's PostgreSQL database (created if absent); owner, for migrations."""
    app_database_url: str | None = None
    """CONNECTORS_APP_DATABASE_URL: the same database as the ``connectors_app`` role that row-level security
    binds; by default CONNECTORS_DATABASE_URL with that user."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """CONNECTORS_REDIS_URL: Redis for queues, budgets and locks."""
    sandbox_host: str = "127.0.0.1"
    """CONNECTORS_SANDBOX_HOST: the address the provider sandboxes listen on."""
    sandbox_port_offset: int = 0
    """CONNECTORS_SANDBOX_PORT_OFFSET: added to every sandbox's default port (see sandbox/registry.py)."""

    core_addr: str = "127.0.0.1:50051"
    """CONNECTORS_CORE_ADDR: where the core's gRPC server listens and where clients find it."""
    portal_addr: str = "127.0.0.1:8000"
    """CONNECTORS_PORTAL_ADDR: where ``connectors portal`` listens (webhook ingress, later the merchants' pages)."""
    service_tokens: str = ""
    """CONNECTORS_SERVICE_TOKENS: ``name:token,...`` that callers of the core present (16+ chars each)."""
    master_keys: str = ""
    """CONNECTORS_MASTER_KEYS: ``kid:base64key,...`` key-encryption keys; the first is active (core only)."""

    oauth_clients: str = ""
    """CONNECTORS_OAUTH_CLIENTS: JSON of the platform's own OAuth apps, by provider and environment, e.g.
    ``{"zoho:production": {"client_id": "...", "client_secret": "..."}}``: a merchant connecting Zoho without an
    app of their own authorises this one (core only)."""
    rate_limits: str = ""
    """CONNECTORS_RATE_LIMITS: JSON overriding catalogue limits, e.g. ``{"zoho": {"api": {"limit": 200}}}``."""
    budget_time_scale: float = 1.0
    """CONNECTORS_BUDGET_TIME_SCALE: how much faster than real time provider limits run (a sandbox's
    compressed clock; 1 against real providers)."""
    budget_linger_ms: float = 1.0
    """CONNECTORS_BUDGET_LINGER_MS: while budget calls come faster than one per half this time, the core holds
    each for up to this long to send it to Redis with those arriving meanwhile (0: every call at once)."""

    @property
    def app_url(self) -> str:
        if self.app_database_url:
            return self.app_database_url
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).set(username="connectors_app", password=None).render_as_string(False)

    def service_token(self, name: str) -> str:
        """The token a caller presents to the core: the ``CONNECTORS_SERVICE_TOKENS`` entry called ``name``
        (so the core's logs see each caller as itself), else the first entry (one shared development token).
        Raises ValueError when there is no ``name:token`` entry at all."""
        entries = [
            (entry_name, token)
            for entry_name, sep, token in (item.strip().partition(":") for item in self.service_tokens.split(","))
            if sep and entry_name and token
        ]
        if not entries:
            raise ValueError(f"CONNECTORS_SERVICE_TOKENS has no 'name:token' entry: {name} cannot call the core")
        return next((token for entry_name, token in entries if entry_name == name), entries[0][1])

    def oauth_client(self, provider: str, environment: str) -> dict[str, str] | None:
        """The platform's own OAuth app for ``provider`` in ``environment`` ("production", "sandbox"), if any."""
        if not self.oauth_clients:
            return None
        import json

        entry = json.loads(self.oauth_clients).get(f"{provider}:{environment}")
        if not isinstance(entry, dict) or not entry.get("client_id") or not entry.get("client_secret"):
            return None
        return {"client_id": str(entry["client_id"]), "client_secret": str(entry["client_secret"])}

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("CONNECTORS_DATABASE_URL", cls.database_url),
            app_database_url=env.get("CONNECTORS_APP_DATABASE_URL") or None,
            redis_url=env.get("CONNECTORS_REDIS_URL", cls.redis_url),
            core_addr=env.get("CONNECTORS_CORE_ADDR", cls.core_addr),
            portal_addr=env.get("CONNECTORS_PORTAL_ADDR", cls.portal_addr),
            service_tokens=env.get("CONNECTORS_SERVICE_TOKENS", cls.service_tokens),
            master_keys=env.get("CONNECTORS_MASTER_KEYS", cls.master_keys),
            rate_limits=env.get("CONNECTORS_RATE_LIMITS", cls.rate_limits),
            oauth_clients=env.get("CONNECTORS_OAUTH_CLIENTS", cls.oauth_clients),
            budget_time_scale=float(env.get("CONNECTORS_BUDGET_TIME_SCALE", str(cls.budget_time_scale))),
            budget_linger_ms=float(env.get("CONNECTORS_BUDGET_LINGER_MS", str(cls.budget_linger_ms))),
            sandbox_host=env.get("CONNECTORS_SANDBOX_HOST", cls.sandbox_host),
            sandbox_port_offset=int(env.get("CONNECTORS_SANDBOX_PORT_OFFSET", str(cls.sandbox_port_offset))),
        )
