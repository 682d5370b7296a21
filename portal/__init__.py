"""The Litestar portal and webhook ingress (Portal issue)."""
