"""arq workers running the sync flows (sync-engine issue)."""
