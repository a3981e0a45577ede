"""Benchmark: Monte Carlo throughput, one replication against a bare SimPy floor, and memory.

    python bench/montecarlo.py [--scenario scenarios/portfolio.yaml] [-n 1000] [--jobs 1 2]
    python bench/montecarlo.py --replication [--reps 200]   # one replication, by stage
    python bench/montecarlo.py --end-to-end -n 10000 --jobs 2   # `dcsim run`, wall and memory
    python bench/montecarlo.py --bands all ...                  # every metric's bands

Each part prints JSON lines:

- rate: times `sim.runner.monte_carlo_run` (replications and aggregation, no file writing) in
  a fresh process per job count, and reports replications per second and the peak resident
  memory of that process and of its largest worker;
- replication: one replication in process, by stage (drawing inputs, plan, SimPy, tables,
  KPIs, packing), its SimPy event count, and a bare SimPy loop with the same number of events
  (one process, a timeout per event) timed in the same run; the ratio of the two is the
  replication's cost against its floor (each the best of three passes, in CPU time);
- end-to-end: the real `dcsim run` command (load, replications, aggregation, files, plots),
  its wall time and the peak of the summed resident memory of it and its workers (sampled
  every 50 ms with psutil when installed, else the largest single process).

Not part of the test suite: numbers go in bench/README.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.montecarlo.replications import Bands

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def measure(scenario: str, n: int, jobs: int, seed: int, bands: Bands) -> dict[str, Any]:
    """Run in this process: time N replications with J jobs; report rate and peak memory."""
    import sim
    from sim.runner import RunOptions, monte_carlo_run

    loaded = sim.load(scenario)
    monte_carlo_run(loaded, RunOptions(2, seed=seed, jobs=1))  # warm imports and caches
    start = time.perf_counter()
    mc = monte_carlo_run(loaded, RunOptions(n, seed=seed, jobs=jobs, bands=bands))
    elapsed = time.perf_counter() - start
    assert len(mc.replications) == n
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "bench": "rate",
        "jobs": jobs,
        "bands": bands,
        "replications": n,
        "seconds": round(elapsed, 2),
        "replications_per_second": round(n / elapsed, 1),
        "peak_rss_mb_main": round(own, 1),
        "peak_rss_mb_worker": round(children, 1),
    }


def bare_simpy(events: int) -> float:
    """Seconds for a bare SimPy loop of ``events`` events: one process, one timeout each."""
    import simpy

    def loop(env: simpy.Environment) -> Iterator[simpy.Timeout]:
        for _ in range(events - 2):  # the process's start and end are events too
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(loop(env))
    start = time.process_time()
    env.run()
    return time.process_time() - start


def count_events(run: Callable[[], object]) -> int:
    """SimPy events processed by ``run()`` (counted on `simpy.Environment.step`)."""
    import simpy

    original = simpy.Environment.step
    count = 0

    def step(self: simpy.Environment) -> None:
        nonlocal count
        count += 1
        original(self)

    simpy.Environment.step = step  # type: ignore[method-assign]
    try:
        run()
    finally:
        simpy.Environment.step = original  # type: ignore[method-assign]
    return count


class Laps:
    """Seconds spent in each stage, added up over laps."""

    def __init__(self, names: list[str]) -> None:
        self.total = dict.fromkeys(names, 0.0)
        self.last = 0.0

    def start(self) -> None:
        self.last = time.process_time()

    def lap(self, stage: str) -> None:
        now = time.process_time()
        self.total[stage] += now - self.last
        self.last = now


def replication(scenario: str, reps: int, seed: int, bands: Bands) -> dict[str, Any]:
    """One replication by stage, beside the bare SimPy floor: each figure is the best of
    three passes' means over ``reps`` replications, in CPU time of this process (the
    machine may be shared: wall time would count the other processes' turns)."""
    import sim
    from sim.engine import Random, apply_status, build_plan, simulate
    from sim.engine.realize import Streams, realize
    from sim.montecarlo.replications import replicate

    loaded = sim.load(scenario)
    names = ["realize", "plan", "simulate", "tables", "kpis", "pack"]
    best = dict.fromkeys([*names, "replication"], float("inf"))
    for i in range(5):  # warm caches
        replicate(loaded, seed, i, bands)
    for _ in range(3):
        laps = Laps(names)
        for i in range(reps):
            laps.start()
            replicate(loaded, seed, i, bands, lap=laps.lap)
        start = time.process_time()
        for i in range(reps):
            replicate(loaded, seed, i, bands)
        laps.total["replication"] = time.process_time() - start
        best = {k: min(v, laps.total[k] / reps) for k, v in best.items()}
    streams = Streams(seed, 0)
    concrete, _ = realize(loaded, streams)
    plan = apply_status(build_plan(concrete), concrete)
    events = count_events(lambda: simulate(plan, Random(streams)))
    levels = len(simulate(plan, Random(Streams(seed, 0))).levels)
    floor = min(bare_simpy(events) for _ in range(7))
    size = len(pickle.dumps(replicate(loaded, seed, 0, bands)))
    ms = {k: round(v * 1000, 2) for k, v in best.items()}
    return {
        "bench": "replication",
        "scenario": Path(scenario).name,
        "bands": bands,
        "replication_ms": ms.pop("replication"),
        "stages_ms": ms,
        "simpy_events": events,
        "level_rows": levels,
        "pickled_kb": round(size / 1024, 1),
        "bare_simpy_ms": round(floor * 1000, 3),
        "ratio_replication_to_floor": round(best["replication"] / floor, 1),
        "ratio_engine_to_floor": round(best["simulate"] / floor, 1),
    }


def end_to_end(scenario: str, n: int, jobs: int, seed: int, bands: Bands) -> dict[str, Any]:
    """`dcsim run` with replications, twice: its wall time alone, then the peak memory of
    it and its workers (reading memory takes CPU from the run, so it is not timed)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(BIN / "dcsim"), "run", scenario, "-n", str(n), "--jobs", str(jobs)]
        cmd += ["--seed", str(seed), "--bands", bands, "--out", f"{out}/r"]
        start = time.perf_counter()
        timed = subprocess.run([*cmd[:-1], f"{out}/timed"], cwd=ROOT, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        peak, peak_pss, method = _watch(proc)
        if timed.returncode != 0 or proc.returncode != 0:
            raise RuntimeError(f"{cmd} failed")
    return {
        "bench": "end_to_end",
        "command": " ".join(["dcsim", *cmd[1:-2]]),
        "seconds": round(elapsed, 2),
        "replications_per_second": round(n / elapsed, 1),
        "peak_rss_mb": round(peak, 1),
        "peak_pss_mb": round(peak_pss, 1),
        "peak_rss_of": method,
    }


def _watch(proc: subprocess.Popen[bytes]) -> tuple[float, float, str]:
    """Wait for ``proc``; the peaks of its and its workers' summed RSS and summed PSS in MB
    (psutil), else the peak RSS of the largest single process (twice). Forked workers share
    their parent's pages until either writes them: RSS counts a shared page in every
    process, PSS splits it between them, so summed PSS is the memory the run takes.

    RSS is read every 50 ms; PSS every half second, since the kernel walks a process's
    page tables to count it (about 12 ms for 500 MB): every 50 ms, reading it took a third
    of a core from the two-core run."""
    try:
        import psutil
    except ImportError:
        proc.wait()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_maxrss / 1024, usage.ru_maxrss / 1024, "largest process (no psutil)"
    parent = psutil.Process(proc.pid)
    peak = peak_pss = 0.0
    next_pss = 0.0
    while proc.poll() is None:
        rss = pss = 0
        with_pss = time.monotonic() >= next_pss
        try:
            for p in [parent, *parent.children(recursive=True)]:
                if with_pss:
                    full = p.memory_full_info()
                    rss, pss = rss + full.rss, pss + getattr(full, "pss", full.rss)
                else:
                    rss += p.memory_info().rss
        except psutil.Error:
            pass  # a worker ended between listing and reading
        peak = max(peak, rss / 2**20)
        if with_pss:
            peak_pss, next_pss = max(peak_pss, pss / 2**20), time.monotonic() + 0.5
        time.sleep(0.05)
    return peak, peak_pss, "process and workers, summed (RSS every 50 ms, PSS every 0.5 s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "portfolio.yaml"))
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bands", choices=["headline", "all"], default="headline")
    parser.add_argument("--replication", action="store_true", help="one replication by stage")
    parser.add_argument("--reps", type=int, default=200, help="replications timed by stage")
    parser.add_argument("--end-to-end", action="store_true", help="`dcsim run` wall and memory")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.scenario, args.n, args.one, args.seed, args.bands)))
        return
    if args.replication:
        print(json.dumps(replication(args.scenario, args.reps, args.seed, args.bands)))
        return
    if args.end_to_end:
        for jobs in args.jobs:
            result = end_to_end(args.scenario, args.n, jobs, args.seed, args.bands)
            print(json.dumps(result), flush=True)
        return
    for jobs in args.jobs:  # a fresh process each, so peak memory is not shared
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--scenario",
                args.scenario,
                "-n",
                str(args.n),
                "--seed",
                str(args.seed),
                "--bands",
                args.bands,
                "--one",
                str(jobs),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
