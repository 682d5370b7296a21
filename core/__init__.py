"""The gRPC core service (Core issue)."""
