"""Values worked out from some objects, kept while those objects live.

Several stages work out, once, what depends on parts of a scenario alone (its compiled
inputs, a contract's terms, a contract's KPI plan, the tables' facts) and read it again in
every Monte Carlo replication that shares those parts. Pydantic models are not hashable
(and two equal models may be different scenarios' parts), so the value is kept per tuple of
objects found again by identity. Only weak references are held: a kept value never keeps
its objects alive, and it is forgotten as soon as one of them dies, so a new object at a
dead one's address never finds it. Scenarios are immutable; code that edits one in place
after a value was worked out from it would read a stale value.

`Memo` keeps a function's values the same way, keyed by its arguments (the plan's parts:
see `sim.engine.buildplan`).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, ParamSpec, TypeVar, cast

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


P = ParamSpec("P")

_PLAIN = (str, int, dt.date, tuple)
"""What a `Memo` keys by value after its objects (tuples of these too). Not floats: a drawn
input is a float, and a float kept in a key would be kept forever (and -0.0 == 0.0); a part
reads a number through the object that holds it."""


class Memo(Generic[P, V]):
    """A function whose value is kept per arguments: its first ``objects`` arguments by
    identity (each an object or None), the rest by value (strings, ints, bools, dates and
    tuples of them, their types fixed by the function's signature). The key is exactly the
    arguments, so the function must read nothing else; an object must be among them.

    Built for parts most of which are found again while some (those of objects made anew
    each time) are not: a value is found only while all its objects live (each entry holds
    weak references, checked on every find, so a new object at a dead one's address never
    finds it), and the entries of dead objects are swept out when the entries have doubled
    since the last sweep, instead of by a callback per object (a weak reference with a
    callback costs as much as a small part)."""

    def __init__(self, make: Callable[P, V], objects: int) -> None:
        if objects < 1:
            raise ValueError("a Memo keeps its values by at least one object")
        self.make = make
        self.objects = objects
        self._entries: dict[tuple[Hashable, ...], tuple[Sequence[weakref.ref[object] | None], V]]
        self._entries = {}
        self._sweep_at = _FIRST_SWEEP

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> V:
        if kwargs:
            raise TypeError(f"{self.make.__name__}: a Memo takes positional arguments only")
        n = self.objects
        key = (*map(id, args[:n]), *args[n:])
        found = self._entries.get(key)
        if found is not None:
            refs, value = found
            for ref, arg in zip(refs, args, strict=False):  # refs: the objects'
                if ref is not None and ref() is not arg:
                    break
            else:
                return value
        return self._add(key, args)

    def _add(self, key: tuple[Hashable, ...], args: tuple[object, ...]) -> V:
        n = self.objects
        for arg in args[n:]:
            _check_plain(arg)
        if args[0] is None and all(a is None for a in args[:n]):
            raise TypeError(f"{self.make.__name__}: no object among the arguments to keep by")
        value = cast(Callable[..., V], self.make)(*args)
        entries = self._entries
        if n == 1:
            entries[key] = ((weakref.ref(args[0]),), value)
        else:
            entries[key] = ([None if a is None else weakref.ref(a) for a in args[:n]], value)
        if len(entries) >= self._sweep_at:
            self.sweep()
        return value

    def sweep(self) -> None:
        """Drop the entries of dead objects (and the values they kept)."""
        entries = self._entries
        for key, (refs, _) in list(entries.items()):
            if any(r is not None and r() is None for r in refs):
                entries.pop(key, None)  # (never raises, should another thread have done it)
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(entries))

    def __len__(self) -> int:
        """The number of values kept for living objects."""
        self.sweep()
        return len(self._entries)


_FIRST_SWEEP = 256


def _check_plain(value: object) -> None:
    if isinstance(value, float) or not isinstance(value, _PLAIN):
        raise TypeError(f"{value!r} is no plain key: pass the object that holds it")
    if isinstance(value, tuple):
        for v in value:
            _check_plain(v)
