"""Local development secrets for ``make up``: a key-encryption key, service tokens, the portal's CSRF secret
and the demo logins' password, generated once into ``$CONNECTORS_RUN_DIR/dev.env`` (mode 0600) and loaded by
every ``connectors`` process on this machine. Production sets CONNECTORS_MASTER_KEYS,
CONNECTORS_SERVICE_TOKENS and CONNECTORS_PORTAL_SECRET itself, and has no demo; this file is never read then.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.vault import Keyring


def path() -> Path:
    return Path(os.environ.get("CONNECTORS_RUN_DIR", ".run")) / "dev.env"


def _entries() -> dict[str, str]:
    return {
        "CONNECTORS_MASTER_KEYS": Keyring.generate_entry("dev1"),
        "CONNECTORS_SERVICE_TOKENS": f"cli:{secrets.token_urlsafe(32)},portal:{secrets.token_urlsafe(32)},"
        f"workers:{secrets.token_urlsafe(32)}",
        "CONNECTORS_PORTAL_SECRET": secrets.token_urlsafe(32),
        "CONNECTORS_DEMO_PASSWORD": f"demo-{secrets.token_urlsafe(9)}",
    }


def ensure() -> Path:
    """The dev file, made when absent; an older one gains the entries it lacks (existing ones are kept)."""
    file = path()
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    have = {line.partition("=")[0] for line in file.read_text().splitlines()}
    missing = [f"{name}={value}" for name, value in _entries().items() if name not in have]
    if missing:
        with file.open("a") as handle:
            handle.write("\n".join(missing) + "\n")
    return file


def load() -> None:
    """Fill unset variables from the dev file, when there is one."""
    file = path()
    if not file.exists():
        return
    for line in file.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.startswith("CONNECTORS_") and not os.environ.get(name):
            os.environ[name] = value
