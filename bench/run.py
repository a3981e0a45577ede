"""Benchmark runner: end-to-end, validate, simulate-only, Monte Carlo and scaling figures.

    python bench/run.py [end_to_end startup validate simulate montecarlo scaling] [--quick]
    python bench/run.py startup --against ../dcsim-before    # side by side with other code

Prints one JSON object per measurement. Opt-in, never part of the test suite; record the
figures in bench/README.md with the machine and the date. Wall times of commands are the
best of three runs, side by side with the baseline they are judged against.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHIPPED = ["example", "iren_childress", "cipher", "portfolio"]


def timed(cmd: list[str], repeat: int = 3) -> tuple[float, float]:
    """Best wall time in seconds, and the peak RSS in MB, of a command (best of ``repeat``).
    The best CPU time (user + system) is kept in `CPU` under the command's text: on a
    shared machine it is the steadier figure. Commands may write bytecode caches (as an
    installed dcsim does), so only the first run compiles changed modules."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best, peak, cpu = float("inf"), 0.0, float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{cmd} failed")
        best = min(best, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
    CPU[" ".join(cmd)] = round(cpu, 3)
    return round(best, 3), round(peak, 1)


CPU: dict[str, float] = {}
"""Best CPU seconds of each command `timed` ran."""


def cpu_ratio(cmd: list[str], base: list[str]) -> float:
    return round(CPU[" ".join(cmd)] / CPU[" ".join(base)], 2)


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def end_to_end(quick: bool) -> None:
    floor = [sys.executable, "-c", "import numpy, pandas, matplotlib.pyplot, simpy, yaml"]
    base, _ = timed(floor)
    for name in SHIPPED[:2] if quick else SHIPPED:
        with tempfile.TemporaryDirectory() as out:
            cmd = [
                str(BIN / "dcsim"),
                "run",
                f"scenarios/{name}.yaml",
                "--out",
                f"{out}/r",
                "--force",
            ]
            wall, rss = timed(cmd)
        emit(
            bench="dcsim run",
            scenario=name,
            seconds=wall,
            imports_seconds=base,
            ratio=round(wall / base, 2),
            cpu_ratio=cpu_ratio(cmd, floor),
            peak_rss_mb=rss,
        )


def once(cmd: list[str], cwd: Path, env: dict[str, str], status: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, with the processes it waited for: its chart and
    Monte Carlo workers) of one run of a command, which must exit with ``status``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, code, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(code) != status:
        raise RuntimeError(f"{cmd} in {cwd} exited {os.waitstatus_to_exitcode(code)}")
    return wall, usage.ru_utime + usage.ru_stime


def startup(quick: bool, against: Path | None = None) -> None:
    """Target 5 of issue 14: `dcsim run scenarios/portfolio.yaml` (default options: the plan
    run, its files and 12 charts) against its floor, `import numpy, pandas,
    matplotlib.pyplot, simpy, yaml`; with ``against`` (another checkout), the same commands
    of that code side by side. The runs are interleaved (floor, this code, the other, then
    again), best of 5 (3 with --quick), wall and CPU; each checkout's own `sim` is put first
    on the path. Also how soon a bad input exits 2: a scenario with an error, and an --out
    folder that cannot be written."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    trees = {"this": ROOT, **({"against": against.resolve()} if against else {})}
    envs = {name: {**env, "PYTHONPATH": str(tree)} for name, tree in trees.items()}
    with tempfile.TemporaryDirectory() as folder:
        bad = Path(folder, "bad.yaml")
        bad.write_text(
            "scenario: {name: bad, start: 2026-01-01, end: 2026-12-31}\n"
            "sites:\n  a:\n    grid: [{name: g, mw: -5, energized: 2026-01-01}]\n"
        )
        locked = Path(folder, "locked")
        locked.mkdir()
        locked.chmod(0o500)
        unwritable = Path("/sys") if os.geteuid() == 0 else locked  # root writes anywhere else
        cases: dict[str, tuple[list[str], int]] = {
            "run": (["run", "scenarios/portfolio.yaml", "--out", f"{folder}/r", "--force"], 0),
            "bad scenario": (["run", str(bad), "--out", f"{folder}/b"], 2),
            "unwritable --out": (
                ["run", "scenarios/portfolio.yaml", "--out", str(unwritable / "r")],
                2,
            ),
        }
        floor = [sys.executable, "-c", "import numpy, pandas, matplotlib.pyplot, simpy, yaml"]
        best: dict[tuple[str, str], tuple[float, float]] = {}

        def keep(key: tuple[str, str], wall: float, cpu: float) -> None:
            old = best.get(key, (float("inf"), float("inf")))
            best[key] = (min(old[0], wall), min(old[1], cpu))

        for _ in range(3 if quick else 5):
            keep(("floor", ""), *once(floor, ROOT, env))
            for case, (args, status) in cases.items():
                for name, tree in trees.items():
                    cmd = [str(BIN / "dcsim"), *args]
                    keep((case, name), *once(cmd, tree, envs[name], status))
        base_wall, base_cpu = best[("floor", "")]
        emit(bench="startup floor", seconds=round(base_wall, 3), cpu_seconds=round(base_cpu, 3))
        for (case, name), (wall, cpu) in best.items():
            if case != "floor":
                emit(
                    bench=f"startup: dcsim {case}",
                    code=str(trees[name]),
                    seconds=round(wall, 3),
                    cpu_seconds=round(cpu, 3),
                    ratio=round(wall / base_wall, 2),
                    cpu_ratio=round(cpu / base_cpu, 2),
                )


def validate(quick: bool) -> None:
    floor = [sys.executable, "-c", "import yaml; from pydantic import BaseModel"]
    base, _ = timed(floor, 5)
    for name in SHIPPED:
        cmd = [str(BIN / "dcsim"), "validate", f"scenarios/{name}.yaml"]
        wall, rss = timed(cmd, 5)
        emit(
            bench="dcsim validate",
            scenario=name,
            seconds=wall,
            imports_seconds=base,
            ratio=round(wall / base, 2),
            cpu_ratio=cpu_ratio(cmd, floor),
            peak_rss_mb=rss,
        )


def simulate(quick: bool) -> None:
    import simpy

    import sim
    from sim.analysis.timeline import build_tables
    from sim.engine import simulate as run_engine
    from sim.engine.realize import realize

    steps = 0
    original = simpy.Environment.step

    def counting_step(env: simpy.Environment) -> None:  # bench-only: count SimPy events
        nonlocal steps
        steps += 1
        original(env)

    for name in SHIPPED:
        scenario, _ = realize(sim.load(ROOT / "scenarios" / f"{name}.yaml"))
        engine, tables = float("inf"), float("inf")
        for _ in range(3 if quick else 10):
            t0 = time.perf_counter()
            recorder = run_engine(scenario)
            t1 = time.perf_counter()
            build_tables(scenario, recorder)
            t2 = time.perf_counter()
            engine, tables = min(engine, t1 - t0), min(tables, t2 - t1)
        simpy.Environment.step = counting_step  # type: ignore[method-assign]
        steps = 0
        run_engine(scenario)
        simpy.Environment.step = original  # type: ignore[method-assign]
        emit(
            bench="simulate + timeline",
            scenario=name,
            simulate_ms=round(1000 * engine, 1),
            timeline_ms=round(1000 * tables, 1),
            total_ms=round(1000 * (engine + tables), 1),
            simpy_events=steps,
            events_per_second=round(steps / engine),
        )


def overrides(quick: bool) -> None:
    """`Scenario.with_overrides`, which sweeps and searches call once per point, against the
    simulation it precedes."""
    import sim

    for name in ("iren_childress", "portfolio"):
        scenario = sim.load(ROOT / "scenarios" / f"{name}.yaml")
        site = next(iter(scenario.sites))
        count = scenario.sites[site].crews.count
        n = 100 if quick else 1000
        started = time.perf_counter()
        for i in range(n):
            scenario.with_overrides({f"sites.{site}.crews.count": count + i % 3})
        per_call = (time.perf_counter() - started) / n
        sim.run(scenario)  # warm: imports and first-call costs
        started = time.perf_counter()
        sim.run(scenario)
        emit(
            bench="with_overrides",
            scenario=name,
            ms_per_call=round(per_call * 1e3, 3),
            plan_run_ms=round((time.perf_counter() - started) * 1e3, 1),
        )


def montecarlo(quick: bool) -> None:
    n = "200" if quick else "1000"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "montecarlo.py"), "-n", n],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    for line in out.stdout.splitlines():
        emit(bench="monte carlo", scenario="portfolio", **json.loads(line))


def scaling(quick: bool) -> None:
    from bench_synthetic import portfolio  # type: ignore[import-not-found]

    sizes = [1, 10, 100] if quick else [1, 10, 100, 1000]
    cases = [(n, 72) for n in sizes] + [(100, 8)]
    with tempfile.TemporaryDirectory() as folder:
        for sites, gpus in cases:
            path = Path(folder) / f"s{sites}_{gpus}.yaml"
            path.write_text(portfolio(sites, gpus))
            wall, rss = timed(
                [str(BIN / "dcsim"), "run", str(path), "--out", f"{folder}/out", "--force"],
                repeat=1,
            )
            emit(
                bench="scaling",
                sites=sites,
                gpus_per_rack=gpus,
                racks=1000 * sites,
                seconds=wall,
                peak_rss_mb=rss,
                seconds_per_site=round(wall / sites, 4),
            )


BENCHES = {
    "end_to_end": end_to_end,
    "startup": startup,
    "validate": validate,
    "simulate": simulate,
    "montecarlo": montecarlo,
    "overrides": overrides,
    "scaling": scaling,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "benches",
        nargs="*",
        metavar="BENCH",
        help=f"which to run (default: all): {', '.join(BENCHES)}",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="startup: also time another checkout of dcsim, side by side (e.g. a worktree of "
        "the code before a change)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sys.modules.setdefault("bench_synthetic", __import__("synthetic"))
    unknown = [b for b in args.benches if b not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    for name in args.benches or list(BENCHES):
        if name == "startup":
            startup(args.quick, args.against)
        else:
            BENCHES[name](args.quick)


if __name__ == "__main__":
    main()
