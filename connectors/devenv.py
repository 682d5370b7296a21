"""Local development secrets for ``make up``: a key-encryption key and a service token, generated once
into ``$CONNECTORS_RUN_DIR/dev.env`` (mode 0600) and loaded by every ``connectors`` process on this machine.
Production sets CONNECTORS_MASTER_KEYS and CONNECTORS_SERVICE_TOKENS itself; this file is never read then.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.vault import Keyring


def path() -> Path:
    return Path(os.environ.get("CONNECTORS_RUN_DIR", ".run")) / "dev.env"


def ensure() -> Path:
    file = path()
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            f"CONNECTORS_MASTER_KEYS={Keyring.generate_entry('dev1')}",
            f"CONNECTORS_SERVICE_TOKENS=cli:{secrets.token_urlsafe(32)},portal:{secrets.token_urlsafe(32)},"
            f"workers:{secrets.token_urlsafe(32)}",
        ]
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
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
