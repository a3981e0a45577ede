"""Keyed random streams of one replication: (root seed, replication, key) -> numbers.

A stream is numpy's ``SeedSequence(seed, spawn_key=(replication, key_hash(key)))``, so a
replication's numbers depend on nothing but those three: not on the number of workers, the
executor, or which other streams exist. A generator (repeated draws, such as fallout per
lot) is numpy's PCG64 seeded from that sequence.

An input's uniform is the first 64 bits that sequence generates. Building a `SeedSequence`
costs about 8 us, and a replication of the portfolio needs about forty of them (inputs,
risk events, copula factors, and a generator per lot), so their words are computed here with
SeedSequence's own arithmetic, bit for bit (M. E. O'Neill's ``seed_seq_fe`` with a 4-word
pool; tests compare the two on random seeds and keys, so a numpy that changed it would be
caught). SeedSequence mixes its entropy words into the pool one after another: the seed's
words (padded to the pool's size), the replication's, then the key's. So the pool after the
seed and the replication is computed once per replication (`Streams`), and each key mixes in
only its own words. A key's words, hashed as they are at their place in the sequence, depend
on the key alone: `StreamKey` computes them once; a scenario's compiled inputs keep theirs
(see `sim.engine.inputs`), and generators' keys, which recur in every replication, are kept
too. A generator is numpy's PCG64 given those words through numpy's `ISeedSequence`.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

_MASK = 0xFFFFFFFF
_POOL = 4
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_MIX_L = 0xCA01F9DD
_MIX_R = 0x4973F715
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
"""generate_state's hash constant starts at _INIT_B and is multiplied by _MULT_B before each
output word (`Streams.uniform` writes out its first two values, 0x464A0A99 and 0x819D14A5)."""


def key_hash(key: str) -> int:
    """A stable 64-bit number for a stream key (Python's hash() changes between runs)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def _words(n: int) -> list[int]:
    """A non-negative integer as SeedSequence reads it: 32-bit words, lowest first."""
    n = operator.index(n)  # ints only, as SeedSequence
    if n < 0:
        raise ValueError("expected non-negative integer")
    out = [n & _MASK]
    n >>= 32
    while n:
        out.append(n & _MASK)
        n >>= 32
    return out


_HASH_A = [_INIT_A]
"""The hash constant before each hashmix call of a sequence's mixing (grown on demand)."""


def _hash_a(call: int) -> int:
    while len(_HASH_A) <= call + 1:
        _HASH_A.append(_HASH_A[-1] * _MULT_A & _MASK)
    return _HASH_A[call]


def _hashmix(value: int, call: int) -> int:
    """SeedSequence's ``hashmix`` of ``value`` as its ``call``-th call (0-based)."""
    value = (value ^ _hash_a(call)) * _hash_a(call + 1) & _MASK
    return value ^ (value >> 16)


def _mix(x: int, y: int) -> int:
    r = (_MIX_L * x - _MIX_R * y) & _MASK
    return r ^ (r >> 16)


def _first_call(position: int) -> int:
    """The first hashmix call of the entropy word at ``position`` (at or past the pool's
    size): the pool's own words take 4 calls, their mixing 12, each later word 4."""
    return _POOL * _POOL + _POOL * (position - _POOL)


class StreamKey:
    """A stream's key, with its words hashed as SeedSequence hashes them at their place."""

    __slots__ = ("_hashed", "_words", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._words = _words(key_hash(name))
        self._hashed: dict[int, tuple[int, ...]] = {}

    def hashed(self, position: int) -> tuple[int, ...]:
        """hashmix of each word for each pool word, the key's first word at ``position``."""
        found = self._hashed.get(position)
        if found is None:
            found = self._hashed[position] = tuple(
                _hashmix(word, _first_call(position + i) + dst)
                for i, word in enumerate(self._words)
                for dst in range(_POOL)
            )
        return found


@functools.lru_cache(maxsize=64)
def _seeded(seed: int) -> tuple[tuple[int, ...], int]:
    """The pool after the seed's words (the same in every replication of a run), and the
    number of entropy words so far: the seed's first words (padded with zeros to the pool's
    size) hashed into the pool, the pool mixed with itself, then any further seed words."""
    entropy = _words(seed)
    entropy += [0] * (_POOL - len(entropy))
    pool = [_hashmix(entropy[i], i) for i in range(_POOL)]
    call = _POOL
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], _hashmix(pool[src], call))
                call += 1
    for position in range(_POOL, len(entropy)):
        _mix_in(pool, entropy[position], position)
    return tuple(pool), len(entropy)


def _mix_in(pool: list[int], word: int, position: int) -> None:
    """Mix the entropy word at ``position`` (past the pool's size) into every pool word."""
    call = _first_call(position)
    for dst in range(_POOL):
        pool[dst] = _mix(pool[dst], _hashmix(word, call + dst))


class Streams:
    """Independent random streams of one replication, by key."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}
        self._pool: tuple[list[int], int] | None = None

    def _prefix(self) -> tuple[list[int], int]:
        """The pool after the seed's and the replication's words, and where the key's words
        start in the entropy (SeedSequence's `mix_entropy` up to the spawn key's last part)."""
        if self._pool is None:
            seeded, position = _seeded(self.seed)
            pool = list(seeded)
            for word in _words(self.replication):
                _mix_in(pool, word, position)
                position += 1
            self._pool = pool, position
        return self._pool

    def uniform(self, key: str | StreamKey) -> float:
        """One uniform number in (0, 1) for ``key``: the first 64 bits of its sequence."""
        if isinstance(key, str):
            key = StreamKey(key)
        pool, position = self._prefix()
        p0, p1 = pool[0], pool[1]
        hashed = key.hashed(position)
        # SeedSequence mixes each key word into each pool word (a pool word takes nothing
        # from the others at this stage), then generate_state(1, uint64) hashes pool words 0
        # and 1 into the low and high halves: words 2 and 3 are not needed. The constants
        # are written out: this is the hot loop of drawing inputs.
        for i in range(0, len(hashed), 4):
            r = (0xCA01F9DD * p0 - 0x4973F715 * hashed[i]) & 0xFFFFFFFF
            p0 = r ^ (r >> 16)
            r = (0xCA01F9DD * p1 - 0x4973F715 * hashed[i + 1]) & 0xFFFFFFFF
            p1 = r ^ (r >> 16)
        low = (p0 ^ 0x8B51F9DD) * 0x464A0A99 & 0xFFFFFFFF
        high = (p1 ^ 0x464A0A99) * 0x819D14A5 & 0xFFFFFFFF
        state = (low ^ (low >> 16)) | (high ^ (high >> 16)) << 32
        return ((state >> 11) + 0.5) * 2.0**-53

    def generator(self, key: str) -> np.random.Generator:
        """A generator for ``key`` (for repeated draws, such as fallout per lot): numpy's
        PCG64 seeded with the first four 64-bit words of the key's sequence."""
        gen = self._generators.get(key)
        if gen is None:
            words = _State(self._state(_generator_key(key), 8))
            # numpy seeds a bit generator from any ISeedSequence; its stubs name SeedSequence
            bits = np.random.PCG64(words)  # type: ignore[arg-type]
            gen = self._generators[key] = np.random.Generator(bits)
        return gen

    def _state(self, key: StreamKey, n_words: int) -> list[int]:
        """SeedSequence's ``generate_state(n_words // 2, uint64)`` of ``key``, as 64-bit ints."""
        pool, position = self._prefix()
        pool = list(pool)
        hashed = key.hashed(position)
        for i in range(0, len(hashed), _POOL):
            for dst in range(_POOL):
                r = (_MIX_L * pool[dst] - _MIX_R * hashed[i + dst]) & _MASK
                pool[dst] = r ^ (r >> 16)
        out = []
        for i, (xor, times) in enumerate(_output_hashes(n_words)):
            value = (pool[i % _POOL] ^ xor) * times & _MASK
            out.append(value ^ (value >> 16))
        return [low | high << 32 for low, high in zip(out[::2], out[1::2], strict=True)]


@functools.cache
def _output_hashes(n_words: int) -> tuple[tuple[int, int], ...]:
    """generate_state's hash constant before and after each output word's step."""
    out = []
    hash_b = _INIT_B
    for _ in range(n_words):
        before, hash_b = hash_b, hash_b * _MULT_B & _MASK
        out.append((before, hash_b))
    return tuple(out)


@functools.lru_cache(maxsize=2**14)
def _generator_key(name: str) -> StreamKey:
    """A generator's key (the same lot and cohort keys recur in every replication)."""
    return StreamKey(name)


class _State(ISeedSequence):
    """Seed words already generated, given to numpy's PCG64 as its seed sequence."""

    def __init__(self, words: list[int]) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if np.dtype(dtype) != np.uint64 or n_words != len(self.words):
            raise ValueError(f"seed words for PCG64 only (4 uint64), not {n_words} {dtype}")
        return np.array(self.words, dtype=np.uint64)
