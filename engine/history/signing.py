"""The Ed25519 key pair that signs checkpoints: generated, written and read as PEM files.

The private key stays with the process that writes checkpoints; auditors hold only the public key,
so a checkpoint cannot be re-signed by anyone who merely reads the files or the database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import Conflict, KeyUnavailable

# cryptography is imported by the functions that sign or read keys: every `approvals` process imports
# this module (the history is part of every command), few of them touch a key (docs/engineering.md).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def fingerprint(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:32]


def generate_key_pair(private_path: Path, public_path: Path) -> str:
    """Write a new key pair (the private file mode 0600, never overwriting); returns its fingerprint."""
    for path in (private_path, public_path):
        if path.exists():
            raise Conflict(f"{path} already exists; a signing key is never overwritten")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem, 0o600)
    _write_new(public_path, public_pem, 0o644)
    return fingerprint(key.public_key())


def _write_new(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise Conflict(f"{path} already exists; a signing key is never overwritten")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyUnavailable(f"the {what} file {path} does not exist")
    except OSError as exc:
        raise KeyUnavailable(f"the {what} file {path} cannot be read: {exc}")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read(path, "checkpoint signing key")
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyUnavailable(f"{path} is not an unencrypted PEM private key: {exc}")
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read(path, "checkpoint public key")
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyUnavailable(f"{path} is not a PEM public key: {exc}")
    if not isinstance(key, Ed25519PublicKey):
        raise KeyUnavailable(f"{path} holds a {type(key).__name__}, not an Ed25519 public key")
    return key
