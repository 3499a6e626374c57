"""An in-process cache for the public pages: each entry remembers the version it was built
from and is rebuilt when the database says the version changed, so an update made by any
process (web or worker, on any machine) is seen at the next request without telling anyone."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """At most ``size`` entries, least recently used dropped first; safe across threads."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == version:
                self._entries.move_to_end(key)
                return found[1]
        value = build()  # outside the lock: a slow build does not hold up other pages
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
