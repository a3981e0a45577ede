"""Pausing Python's cyclic garbage collector while a run builds long-lived objects.

A plan run holds millions of objects at once (the scenario, SimPy's processes and events,
the engine's records, the tables), and it lives as long as they do. Each full collection
walks every one of them, and the collector runs more full collections the more objects
there are, so with it on, the cost of a site grew with the number of sites: simulating 1,000
generated sites cost 12 ms of CPU a site, against 7 ms with the collector paused (see
bench/README.md). The run itself leaves little cyclic garbage (about a hundred objects a
site), which the collector frees once it is on again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc(*, keep: bool = False) -> Iterator[None]:
    """Run the block with automatic garbage collection off; it is turned back on after, unless
    it was already off before (so pauses nest).

    ``keep``: what the block leaves alive lives until the process ends (a command's scenario
    and results). Its garbage is collected once, and what is left is frozen out of later
    collections (`gc.freeze`) before collection resumes; otherwise the collections after the
    pause, and the final one at exit, walk every object the block built again and again
    (about 5 s of a 10,000-site `dcsim run`). Only for a process that ends after the block,
    and not before forking workers that need the collector: frozen objects are never
    collected, even if they become garbage later."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.collect()  # the block's garbage (SimPy's processes and events form cycles)
            gc.freeze()
        gc.enable()
