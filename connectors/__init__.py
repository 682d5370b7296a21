"""The connector platform: the ``connectors`` command, settings and the local supervisor."""
