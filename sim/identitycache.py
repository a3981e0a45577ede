"""Values worked out from some objects, kept while those objects live.

Several stages work out, once, what depends on parts of a scenario alone (its compiled
inputs, a contract's terms, a contract's KPI plan, the tables' facts) and read it again in
every Monte Carlo replication that shares those parts. Pydantic models are not hashable
(and two equal models may be different scenarios' parts), so the value is kept per tuple of
objects found again by identity. Only weak references are held: a kept value never keeps
its objects alive, and it is forgotten as soon as one of them dies, so a new object at a
dead one's address never finds it. Scenarios are immutable; code that edits one in place
after a value was worked out from it would read a stale value.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """Values keyed by the identity of some objects (and plain hashable extras)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[weakref.ref[object], ...], V]] = {}

    def get(
        self, owners: tuple[object, ...], make: Callable[[], V], extra: tuple[Hashable, ...] = ()
    ) -> V:
        """The value kept for ``owners`` (and ``extra``), else ``make()``, kept for them."""
        key = (*map(id, owners), *extra)
        found = self._entries.get(key)
        if found is not None and all(r() is o for r, o in zip(found[0], owners, strict=True)):
            return found[1]
        value = make()
        entries = self._entries

        def forget(ref: weakref.ref[object]) -> None:
            entry = entries.get(key)
            if entry is not None and any(r is ref for r in entry[0]):
                entries.pop(key, None)  # (never raises, should another thread have done it)

        entries[key] = (tuple(weakref.ref(o, forget) for o in owners), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
