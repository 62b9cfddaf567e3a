"""The MAC keys of the history chain: generations kept outside the database.

Format (a file named by APPROVALS_CHAIN_KEY_FILE, or the same text in APPROVALS_CHAIN_KEYS, where
``;`` may stand for a line break)::

    # comments and blank lines are ignored
    unkeyed-through 41        # optional: instances up to 41 may hold plain SHA-256 events
    1 <base64 of 32 random bytes>
    2 <base64 of 32 random bytes>

The highest generation signs new events; every generation listed still verifies what it signed,
so rotation appends a line and never removes one. ``unkeyed-through`` lives here, not in the
database, because a database writer could otherwise declare any instance "from before the key".

With neither variable set, a key file is generated on first use beside the SQLite database
(``instance/approvals.chain-keys``, mode 0600) so ``make run`` needs no configuration. A real
deployment names a key file mounted from its secret store, the same on every server.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import make_url

from engine.config import Settings
from engine.errors import KeyUnavailable
from engine.store.schema import history_events

log = logging.getLogger(__name__)

KEY_BYTES = 32
MIN_KEY_BYTES = 16
_UNKEYED = "unkeyed-through"


@dataclass(frozen=True)
class KeyRing:
    keys: dict[int, bytes]
    source: str
    # Instances with an id up to this may hold events chained before the key existed.
    unkeyed_through: int = 0
    generations: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "generations", tuple(sorted(self.keys)))

    @property
    def signing_generation(self) -> int:
        return self.generations[-1]

    @property
    def signing_key(self) -> bytes:
        return self.keys[self.signing_generation]


def parse_keyring(text: str, source: str) -> KeyRing:
    """A key ring from its text; errors name the source and the line."""
    keys: dict[int, bytes] = {}
    unkeyed_through = 0
    entries = (
        (number, entry.strip())
        for number, raw in enumerate(text.splitlines(), start=1)
        for entry in raw.split("#", 1)[0].split(";")
    )
    for number, line in entries:
        if not line:
            continue
        parts = line.split()
        where = f"{source}, line {number}"
        if len(parts) != 2:
            raise KeyUnavailable(f"{where}: expected '<generation> <base64 key>' or '{_UNKEYED} <id>'")
        name, value = parts
        if name == _UNKEYED:
            if not value.isdigit():
                raise KeyUnavailable(f"{where}: {_UNKEYED} needs an instance id, got {value!r}")
            unkeyed_through = int(value)
            continue
        if not name.isdigit() or int(name) < 1:
            raise KeyUnavailable(f"{where}: the generation must be a positive integer, got {name!r}")
        generation = int(name)
        if generation in keys:
            raise KeyUnavailable(f"{where}: generation {generation} is listed twice")
        try:
            secret = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise KeyUnavailable(f"{where}: the key of generation {generation} is not base64")
        if len(secret) < MIN_KEY_BYTES:
            raise KeyUnavailable(
                f"{where}: the key of generation {generation} has {len(secret)} bytes, at least "
                f"{MIN_KEY_BYTES} are needed ({KEY_BYTES} recommended)"
            )
        keys[generation] = secret
    if not keys:
        raise KeyUnavailable(f"{source} holds no key generation")
    return KeyRing(keys, source, unkeyed_through)


def new_key_line(generation: int) -> str:
    return f"{generation} {base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}\n"


def key_file_text(unkeyed_through: int) -> str:
    return (
        "# approvals history chain keys: '<generation> <base64 key>'; the highest generation signs.\n"
        "# Keep every generation: older ones verify the events they signed. Never store in the database.\n"
        f"{_UNKEYED} {unkeyed_through}\n" + new_key_line(1)
    )


def _write_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` (mode 0600) unless it exists; True if this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # A hard link never replaces: of two processes generating at once, one key file wins whole.
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)


def create_key_file(path: Path, unkeyed_through: int) -> bool:
    return _write_exclusive(path, key_file_text(unkeyed_through))


def rotate_key_file(path: Path) -> int:
    """Append a new generation (it signs from now on); returns its number."""
    ring = parse_keyring(_read(path, configured=True), str(path))
    generation = ring.signing_generation + 1
    text = path.read_text(encoding="ascii")
    if not text.endswith("\n"):
        text += "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + new_key_line(generation))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return generation


def _server_database(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() != "sqlite"


def default_key_path(database_url: str) -> Path:
    url = make_url(database_url)
    database = url.database or ""
    if (
        url.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        return Path(database).with_suffix(".chain-keys")
    return Path.cwd() / "instance" / "chain-keys"


def key_path(settings: Settings) -> tuple[Path, bool]:
    """Where the key file is, and whether it was configured (else it is generated when missing)."""
    if settings.chain_key_file:
        return Path(settings.chain_key_file), True
    return default_key_path(settings.database_url), False


def _read(path: Path, configured: bool) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        hint = "APPROVALS_CHAIN_KEY_FILE" if configured else "the default key file"
        raise KeyUnavailable(
            f"the history chain key file {path} ({hint}) does not exist; create it with "
            "`approvals audit chain-key --new` or point APPROVALS_CHAIN_KEY_FILE at the existing one"
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyUnavailable(f"the history chain key file {path} cannot be read: {exc}")


_cache: dict[str, tuple[object, KeyRing]] = {}
_lock = threading.Lock()


def chain_keys(settings: Settings, conn: Connection | None = None) -> KeyRing:
    """The key ring the settings name (re-read when its file changes, so rotation needs no restart)."""
    if settings.chain_keys.strip():
        if settings.chain_key_file:
            raise KeyUnavailable("set APPROVALS_CHAIN_KEYS or APPROVALS_CHAIN_KEY_FILE, not both")
        text = settings.chain_keys
        cached = _cache.get("env")
        if cached is not None and cached[0] == text:
            return cached[1]
        ring = parse_keyring(text, "APPROVALS_CHAIN_KEYS")
        _cache["env"] = (text, ring)
        return ring
    path, configured = key_path(settings)
    if not configured and _server_database(settings.database_url):
        # Several server processes share a server database, each on its own machine: a key made up
        # by each of them would make every other one's events look forged.
        raise KeyUnavailable(
            "a server database needs the history chain key configured, the same for every server "
            "and worker process: point APPROVALS_CHAIN_KEY_FILE at it "
            "(`approvals audit chain-key new` creates it there)"
        )
    try:
        stat = path.stat()
    except FileNotFoundError:
        if configured:
            _read(path, configured)  # raises the error that says what to do
        _generate(path, conn)
        stat = path.stat()
    except OSError as exc:
        raise KeyUnavailable(f"the history chain key file {path} cannot be read: {exc}")
    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(str(path))
    if cached is not None and cached[0] == identity:
        return cached[1]
    with _lock:
        ring = parse_keyring(_read(path, configured), str(path))
        _cache[str(path)] = (identity, ring)
    if stat.st_mode & 0o077:
        log.warning("the history chain key file %s is readable by other users: chmod 600 it", path)
    return ring


def unkeyed_boundary(conn: Connection) -> int:
    """Instances that already have history were chained before any key existed: they may keep
    their plain SHA-256 events. Every later instance must be keyed from its first event."""
    return conn.execute(select(func.max(history_events.c.instance_id))).scalar() or 0


def _generate(path: Path, conn: Connection | None) -> None:
    if create_key_file(path, unkeyed_boundary(conn) if conn is not None else 0):
        log.warning(
            "generated the history chain key file %s (mode 0600); a real deployment keeps it in a "
            "secret store and names it with APPROVALS_CHAIN_KEY_FILE",
            path,
        )
