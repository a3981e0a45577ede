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

    What the block built is then moved straight into the collector's oldest generation
    (`gc.freeze` then `gc.unfreeze`), unscanned: left young, it would be walked by the first
    collection after the pause, and again on each promotion (that first collection alone
    cost 0.5 s after loading 1,000 generated sites, as much as the loading). Its cyclic
    garbage is still freed, by the next full collection. Not when objects were frozen before
    the block (`sim.montecarlo.replications.run_chunk` freezes while replications run): they
    stay frozen, and the block's objects are left young.

    ``keep``: what the block leaves alive lives until the process ends (a command's scenario
    and results). The block's garbage is collected once (a finished run's engine objects
    form cycles: 0.65 GB at 10,000 sites), and what is left is frozen out of every later
    collection, including the final one at exit. Only for a process that ends after the
    block, and not before forking workers that need the collector: frozen objects are never
    collected, even if they become garbage."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.collect()
            gc.freeze()
        elif gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()  # into the oldest generation, without a scan
        gc.enable()
