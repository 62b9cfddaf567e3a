"""Benchmarks write to scratch databases; on PostgreSQL history is signed only with a configured key
(engine/history/keys.py). A throwaway one in the environment serves the benchmark's own engines and
the server and worker processes it starts."""

from __future__ import annotations

import os

from engine.history.keys import new_key_line


def use_throwaway_chain_key() -> str:
    """Put a fresh history chain key in the environment unless one is configured; returns it."""
    if not (os.environ.get("APPROVALS_CHAIN_KEYS") or os.environ.get("APPROVALS_CHAIN_KEY_FILE")):
        os.environ["APPROVALS_CHAIN_KEYS"] = new_key_line(1).strip()
    return os.environ.get("APPROVALS_CHAIN_KEYS", "")
