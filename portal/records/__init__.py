"""The portal's records slice."""
