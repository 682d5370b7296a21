"""The portal's preferences slice."""
