"""The portal's support slice."""
