"""The tenant-scoped data layer: engine, sessions, models, migrations."""
