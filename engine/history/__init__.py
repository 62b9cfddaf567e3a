"""The audit trail: an append-only, hash-chained event log per process instance."""
