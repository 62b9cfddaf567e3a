"""Live workflows kept in memory between commands.

A command takes the instance's workflow out of the cache only if the cached revision is
the one it just read under lock; otherwise it rebuilds the workflow from the database.
The workflow goes back in only after the command committed, so a failed command can
never leave a half-changed workflow behind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from engine.spiff.state import Fingerprint


class WorkflowCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[int, tuple[int, Any, Fingerprint]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int) -> tuple[Any, Fingerprint] | None:
        with self._lock:
            entry = self._items.pop(instance_id, None)
        if entry is None or entry[0] != revision:
            return None
        return entry[1], entry[2]

    def put(self, instance_id: int, revision: int, workflow: Any, fingerprint: Fingerprint) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (revision, workflow, fingerprint)
            self._items.move_to_end(instance_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
