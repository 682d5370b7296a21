"""The portal's connections slice."""
