"""Messages and signals: correlation to waiting instances, and start events."""
