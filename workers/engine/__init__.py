"""The sync engine: records as the truth, hash-chained audit, links across systems (sync-engine issue)."""
