"""The audit trail: an append-only event log per process instance, MAC-chained under keys kept
outside the database (keys.py, chain.py), verified per instance (verify.py) and sealed across
all instances in Ed25519-signed checkpoints (signing.py, checkpoints.py)."""

from engine.history.checkpoints import CheckpointReport, checkpoint_now, verify_checkpoint
from engine.history.keys import chain_keys, create_key_file, key_path, rotate_key_file, unkeyed_boundary
from engine.history.signing import generate_key_pair
from engine.history.verify import ChainVerification

__all__ = [
    "ChainVerification",
    "CheckpointReport",
    "chain_keys",
    "checkpoint_now",
    "create_key_file",
    "generate_key_pair",
    "key_path",
    "rotate_key_file",
    "unkeyed_boundary",
    "verify_checkpoint",
]
