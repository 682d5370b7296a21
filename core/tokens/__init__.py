"""Tokens: ``policy`` decides whether a cached token is still good (pure), ``exchange`` talks to token
endpoints (I/O), ``manager`` does single-flight refreshes across processes and replicas."""
