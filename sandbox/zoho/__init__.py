"""Zoho sandbox: Accounts OAuth for every data centre, Inventory v1 and Books v3 (see README.md)."""

from sandbox.zoho.simulator import ZohoSimulator

__all__ = ["ZohoSimulator"]
