"""Where each sandbox listens by default: one table, read by the simulators and by the provider catalogue.

All on ``CONNECTORS_SANDBOX_HOST`` (127.0.0.1), shifted together by ``CONNECTORS_SANDBOX_PORT_OFFSET``.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

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


def _ephemeral_low() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def free_port() -> int:
    """A free port below the ephemeral range, for a server a test starts a little later."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, _ephemeral_low())
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def free_port_offset() -> int:
    """An offset at which every sandbox port (sandbox/ports.py) is free, so the catalogue resolves to them."""
    ports = [p for listeners in DEFAULT_PORTS.values() for p in listeners.values()]
    # Below the kernel's ephemeral range, so no outgoing connection can take a port before a sandbox binds it.
    ephemeral_low = _ephemeral_low()
    rng = random.Random()
    for _ in range(200):
        offset = rng.randrange(1000, ephemeral_low - max(ports) - 1, 100)
        socks = []
        try:
            for port in ports:
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port + offset))
            return offset
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free range of sandbox ports found")
