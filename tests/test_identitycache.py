"""The cache behind every per-scenario value kept across replications (compiled inputs,
contract terms, KPI plans, the tables' facts, a plan's parts)."""

from __future__ import annotations

import gc
import weakref

import pytest

from sim.identitycache import IdentityCache, Memo


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


def test_a_memo_keys_objects_by_identity_and_the_rest_by_value() -> None:
    made: list[tuple[int, str]] = []

    def make(part: Part, other: Part | None, name: str) -> tuple[int, str]:
        made.append((part.value, name))
        return (part.value, name)

    memo = Memo(make, 2)
    a, equal_to_a = Part(1), Part(1)
    first = memo(a, None, "x")
    assert memo(a, None, "x") is first
    assert memo(a, None, "y") == (1, "y")  # another value: another key
    assert memo(equal_to_a, None, "x") == (1, "x")  # equal, but another object
    assert memo(a, equal_to_a, "x") == (1, "x")
    assert made == [(1, "x"), (1, "y"), (1, "x"), (1, "x")]
    with pytest.raises(TypeError, match="no plain key"):
        memo(a, None, 1.0)  # type: ignore[arg-type]  # a float is read through its object
    with pytest.raises(TypeError, match="no object"):
        memo(None, None, "x")  # type: ignore[arg-type]  # it would be kept forever


def test_a_memo_keeps_nothing_alive_and_a_new_object_never_finds_a_dead_ones_value() -> None:
    memo: Memo[[Part, str], int] = Memo(lambda part, name: part.value, 1)
    keep = Part(-1)
    memo(keep, "kept")
    watch = weakref.ref(keep)
    found = []
    for i in range(600):  # CPython reuses freed addresses: some of these land on one
        part = Part(i)  # (and the dead ones' values are swept out on the way)
        found.append(memo(part, "x"))
        del part
    assert found == list(range(600))
    assert memo(keep, "kept") == -1
    assert len(memo) == 1  # only the living object's value
    del keep
    gc.collect()
    assert watch() is None
    assert len(memo) == 0
