"""Pause windows: dated work that does not progress inside a window (a regulator's pause on
large-load interconnections, a weather stoppage).

Work of a kind (grid, construction, commissioning, installation) that overlaps a window of
that kind stops at its start and resumes at its end, so it ends later by the overlap; a
milestone that takes no time (a phase energized, a construction start) inside a window moves
to the window's end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.units import Days


@dataclass(frozen=True)
class PausePlan:
    start: Days
    end: Days
    """The day after the last day of the pause."""
    work: frozenset[str]


def stretch(start: Days, work: Days, pauses: tuple[PausePlan, ...], kind: str) -> Days:
    """How long ``work`` days of work of ``kind`` begun at ``start`` take, pauses included
    (exactly ``work`` when no pause overlaps it)."""
    if not pauses:  # most sites: nothing to sort or walk
        return work
    t, left, paused = start, work, False
    for p in sorted((p for p in pauses if kind in p.work), key=lambda p: p.start):
        if p.end <= t:
            continue
        if p.start > t + left or (p.start == t + left and left > 0):
            break
        left -= max(0.0, p.start - t)
        t, paused = p.end, True
    return (t + left) - start if paused else work
