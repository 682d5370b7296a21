"""Magento 2 / Adobe Commerce REST V1 simulator (see README.md beside this file)."""

from sandbox.magento.simulator import MagentoSimulator

__all__ = ["MagentoSimulator"]
