"""The portal's sync slice."""
