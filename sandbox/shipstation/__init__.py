"""Offline simulator of the ShipStation API V1 (ssapi.shipstation.com); see README.md in this folder."""

from sandbox.shipstation.simulator import DEMO_KEY, DEMO_SECRET, ShipStationSimulator

__all__ = ["DEMO_KEY", "DEMO_SECRET", "ShipStationSimulator"]
