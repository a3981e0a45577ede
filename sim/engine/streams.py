"""Keyed random streams of one replication: (root seed, replication, key) -> numbers.

A stream is numpy's ``SeedSequence(seed, spawn_key=(replication, key_hash(key)))``, so a
replication's numbers depend on nothing but those three: not on the number of workers, the
executor, or which other streams exist. A generator (repeated draws, such as fallout per
lot) is numpy's PCG64 seeded from that sequence.

An input's uniform is the first 64 bits that sequence generates. Building a `SeedSequence`
costs about 8 us, and a replication of the portfolio needs about forty of them, so the
uniforms are computed here with the same arithmetic, bit for bit (the algorithm is
M. E. O'Neill's ``seed_seq_fe``, which numpy's `SeedSequence` implements with a 4-word pool
and fixes for stream compatibility; a test compares the two on random seeds and keys).
SeedSequence mixes its entropy words into the pool one after another: the seed's words
(padded to the pool's size), the replication's, then the key's. So the pool after the seed
and the replication is computed once per replication (`Streams`), and each key mixes in only
its own words. A key's words, hashed as they are at their place in the sequence, depend on
the key alone; `StreamKey` computes them once, and a scenario's compiled inputs keep theirs
(see `sim.engine.realize`).
"""

from __future__ import annotations

import hashlib
import operator

import numpy as np

_MASK = 0xFFFFFFFF
_POOL = 4
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_MIX_L = 0xCA01F9DD
_MIX_R = 0x4973F715
# generate_state's hash constant starts at 0x8B51F9DD and is multiplied by 0x58F38DED before
# each output word: `Streams.uniform` writes out its first values, 0x464A0A99 and 0x819D14A5.


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
            seed = _words(self.seed)
            entropy = seed + [0] * (_POOL - len(seed)) + _words(self.replication)
            pool = [_hashmix(entropy[i], i) for i in range(_POOL)]
            call = _POOL
            for src in range(_POOL):
                for dst in range(_POOL):
                    if src != dst:
                        pool[dst] = _mix(pool[dst], _hashmix(pool[src], call))
                        call += 1
            for position in range(_POOL, len(entropy)):
                for dst in range(_POOL):
                    pool[dst] = _mix(pool[dst], _hashmix(entropy[position], call))
                    call += 1
            self._pool = pool, len(entropy)
        return self._pool

    def uniform(self, key: str | StreamKey) -> float:
        """One uniform number in (0, 1) for ``key``: the first 64 bits of its sequence."""
        if isinstance(key, str):
            key = StreamKey(key)
        pool, position = self._prefix()
        p0, p1, p2, p3 = pool
        hashed = key.hashed(position)
        # SeedSequence's mix(pool word, hashed key word) for each key word and pool word,
        # then generate_state(1, uint64): pool words 0 and 1 hashed into the low and high
        # halves (the constants written out: this is the hot loop of drawing inputs)
        for i in range(0, len(hashed), 4):
            r = (0xCA01F9DD * p0 - 0x4973F715 * hashed[i]) & 0xFFFFFFFF
            p0 = r ^ (r >> 16)
            r = (0xCA01F9DD * p1 - 0x4973F715 * hashed[i + 1]) & 0xFFFFFFFF
            p1 = r ^ (r >> 16)
            r = (0xCA01F9DD * p2 - 0x4973F715 * hashed[i + 2]) & 0xFFFFFFFF
            p2 = r ^ (r >> 16)
            r = (0xCA01F9DD * p3 - 0x4973F715 * hashed[i + 3]) & 0xFFFFFFFF
            p3 = r ^ (r >> 16)
        low = (p0 ^ 0x8B51F9DD) * 0x464A0A99 & 0xFFFFFFFF
        high = (p1 ^ 0x464A0A99) * 0x819D14A5 & 0xFFFFFFFF
        state = (low ^ (low >> 16)) | (high ^ (high >> 16)) << 32
        return ((state >> 11) + 0.5) * 2.0**-53

    def sequence(self, key: str) -> np.random.SeedSequence:
        """numpy's seed sequence of ``key`` (`uniform` computes its first words directly)."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.replication, key_hash(key)))

    def generator(self, key: str) -> np.random.Generator:
        """A generator for ``key`` (for repeated draws, such as fallout per lot)."""
        gen = self._generators.get(key)
        if gen is None:
            gen = self._generators[key] = np.random.Generator(np.random.PCG64(self.sequence(key)))
        return gen
