"""Offline simulator of the Shiprocket External API v1 (see README.md)."""

from sandbox.shiprocket.simulator import ShiprocketSimulator

__all__ = ["ShiprocketSimulator"]
