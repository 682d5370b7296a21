"""Offline simulators of the providers' HTTP APIs (see README.md, Provider sandboxes)."""
