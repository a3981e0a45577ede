"""Per-site cost of each phase of a plan run, on generated portfolios (bench/synthetic.py).

    python bench/scale.py [SITES ...] [--gpus-per-rack 72] [--end-to-end]

For each size, a fresh interpreter loads and validates the generated file, simulates it and
builds its tables, the way `sim.run` does (same functions, garbage collector paused the same
way) after a warm-up on one site (imports and first calls are no cost per site), and
prints one JSON line: each phase's wall and CPU seconds, its CPU milliseconds per
site, and the peak RSS. With ``--end-to-end``, `dcsim run` on the same file (files and plots
included) is timed too. CPU time is the figure to compare across sizes on a shared machine:
wall time counts other processes' load. Opt-in, never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def phases(path: Path) -> dict[str, Any]:
    """Run each phase of a plan run once, in this process, and time it."""
    from sim.analysis.finance import monthly_flows, monthly_table
    from sim.analysis.kpis import summarize
    from sim.analysis.records import level_rows
    from sim.analysis.timeline import compute_arrays, tables_of, with_datetimes
    from sim.engine import Deterministic, apply_status, build_plan, simulate
    from sim.engine.realize import realize
    from sim.gcpause import paused_gc
    from sim.scenario.loader import load_file

    out: dict[str, Any] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        value = work()
        out[f"{name}_s"] = round(time.perf_counter() - wall, 3)
        out[f"{name}_cpu_s"] = round(time.process_time() - cpu, 3)
        return value

    scenario = timed("validate", lambda: load_file(path)).scenario
    with paused_gc():  # as sim.runner.run_once

        def engine() -> Any:
            concrete, _ = realize(scenario)
            return concrete, simulate(apply_status(build_plan(concrete), concrete), Deterministic())

        concrete, recorder = timed("simulate", engine)

        def tables() -> None:
            rows = level_rows(recorder, list(concrete.sites))
            flows = monthly_flows(concrete, recorder, rows)
            arrays = compute_arrays(concrete, recorder, rows=rows)
            del rows  # as sim.runner.run_once: not held while the frames are built
            built = tables_of(concrete, recorder, arrays)
            summarize(concrete, recorder, built, flows)
            monthly_table(concrete, recorder, flows)
            for frame in (built.timeline, built.contracts, built.events):
                with_datetimes(frame, ["date"])

        timed("tables", tables)
    sites = len(scenario.sites)
    out["sites"] = sites
    for name in ("validate", "simulate", "tables"):
        out[f"{name}_ms_per_site"] = round(1000 * out[f"{name}_cpu_s"] / sites, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def end_to_end(path: Path) -> dict[str, float]:
    """Wall time and peak RSS of `dcsim run` on the file, files and plots included."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(BIN / "dcsim"), "run", str(path), "--out", f"{folder}/r", "--force"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"dcsim run {path} failed")
    return {
        "dcsim_run_s": round(wall, 2),
        "dcsim_run_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "dcsim_run_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", type=int, nargs="*", default=[100, 1000, 10000])
    parser.add_argument("--gpus-per-rack", type=int, default=72)
    parser.add_argument("--end-to-end", action="store_true", help="also time `dcsim run`")
    parser.add_argument("--phases", type=Path, help=argparse.SUPPRESS)  # the child's work
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import portfolio

    if args.phases is not None:
        warm = args.phases.with_name("warm-up.yaml")  # imports and first calls: not per site
        warm.write_text(portfolio(1, args.gpus_per_rack))
        phases(warm)
        print(json.dumps(phases(args.phases)), flush=True)
        return

    with tempfile.TemporaryDirectory() as folder:
        for sites in args.sites:
            path = Path(folder) / f"s{sites}.yaml"
            path.write_text(portfolio(sites, args.gpus_per_rack))
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--phases",
                    str(path),
                    "--gpus-per-rack",
                    str(args.gpus_per_rack),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
                cwd=ROOT,
            )
            row = {"bench": "scale", "gpus_per_rack": args.gpus_per_rack}
            row.update(json.loads(child.stdout))
            if args.end_to_end:
                row.update(end_to_end(path))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
