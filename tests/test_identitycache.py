"""The cache behind every per-scenario value kept across replications (compiled inputs,
contract terms, KPI plans, the tables' facts)."""

from __future__ import annotations

import gc
import weakref

from sim.identitycache import IdentityCache


class Part:
    """A stand-in for a pydantic model: compared by value, so only identity tells two apart."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Part) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]  # like pydantic models: not hashable


def test_the_same_objects_find_their_value_and_others_make_their_own() -> None:
    cache: IdentityCache[list[int]] = IdentityCache()
    made: list[int] = []

    def make(value: int) -> list[int]:
        made.append(value)
        return [value]

    a, b, equal_to_a = Part(1), Part(2), Part(1)
    first = cache.get((a,), lambda: make(1))
    assert cache.get((a,), lambda: make(99)) is first
    assert cache.get((equal_to_a,), lambda: make(3)) == [3]  # equal, but another object
    assert cache.get((a, b), lambda: make(4)) == [4]
    assert cache.get((a,), lambda: make(5), ("other start",)) == [5]
    assert cache.get((a,), lambda: make(6), ("other start",)) == [5]
    assert made == [1, 3, 4, 5]


def test_a_value_keeps_nothing_alive_and_dies_with_any_of_its_objects() -> None:
    cache: IdentityCache[str] = IdentityCache()
    a, b = Part(1), Part(2)
    watch = weakref.ref(a)
    cache.get((a, b), lambda: "ab")
    cache.get((b,), lambda: "b")
    assert len(cache) == 2
    del a
    gc.collect()
    assert watch() is None  # the cache held no strong reference
    assert len(cache) == 1  # and forgot the value of (a, b) with a
    assert cache.get((b,), lambda: "new") == "b"


def test_an_object_born_at_a_dead_ones_address_never_finds_its_value() -> None:
    cache: IdentityCache[int] = IdentityCache()
    found = []
    for i in range(200):  # CPython reuses freed addresses: some of these land on one
        part = Part(i)
        found.append(cache.get((part,), lambda i=i: i))  # type: ignore[misc]
        del part
    assert found == list(range(200))
    assert len(cache) == 0
