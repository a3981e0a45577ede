"""Benchmark: Monte Carlo replications per second and peak memory on a shipped scenario.

    python bench/montecarlo.py [--scenario scenarios/portfolio.yaml] [-n 1000] [--jobs 1 2]

Times `sim.runner.monte_carlo_run` (replications and aggregation, no file writing) in a
fresh process per job count, and reports replications per second and the peak resident
memory of that process and its workers. Not part of the test suite: numbers go in
bench/README.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(scenario: str, n: int, jobs: int, seed: int) -> dict[str, float]:
    """Run in this process: time N replications with J jobs; report rate and peak memory."""
    import sim
    from sim.runner import RunOptions, monte_carlo_run

    loaded = sim.load(scenario)
    monte_carlo_run(loaded, RunOptions(2, seed=seed, jobs=1))  # warm imports and caches
    start = time.perf_counter()
    mc = monte_carlo_run(loaded, RunOptions(n, seed=seed, jobs=jobs))
    elapsed = time.perf_counter() - start
    assert len(mc.replications) == n
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "jobs": jobs,
        "replications": n,
        "seconds": round(elapsed, 2),
        "replications_per_second": round(n / elapsed, 1),
        "peak_rss_mb_main": round(own, 1),
        "peak_rss_mb_worker": round(children, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "portfolio.yaml"))
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.scenario, args.n, args.one, args.seed)))
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
                "--one",
                str(jobs),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
