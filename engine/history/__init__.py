"""The audit trail: an append-only event log per process instance, MAC-chained under keys kept
outside the database (keys.py, chain.py), verified per instance (verify.py) and sealed across
all instances in Ed25519-signed checkpoints (signing.py, checkpoints.py)."""
