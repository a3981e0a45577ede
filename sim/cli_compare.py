"""The `dcsim compare` command: it chooses the runs (a scenario's variants, or two files),
calls `sim.compare`, and hands the comparison to `sim.outputs`; `dcsim` maps its errors to
exit codes.

`add_command` only declares arguments, so building the parser stays fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.cli_workbench import Adder
    from sim.scenario.loader import Loaded
    from sim.scenario.variants import Setting


def add_command(commands: Any, monte_carlo_options: Adder, set_option: Adder) -> None:
    """Add `compare` to the `dcsim` subcommands, with the Monte Carlo and ``--set`` options
    of `run` (the functions that add them are passed in)."""
    compare = commands.add_parser(
        "compare",
        help="run a scenario and its variants (or two files) side by side",
        description="Run the base and its variants (default: all) with common random "
        "numbers and write a comparison folder: comparison.csv with every KPI and its delta "
        "against the base (paired P10/P50/P90 and P(better) with replications), overlay "
        "plots, a Gantt chart and report.html. With two files, the first is the base.",
    )
    compare.add_argument(
        "files", type=Path, nargs="+", metavar="FILE", help="a scenario with variants, or two files"
    )
    compare.add_argument(
        "--variants", metavar="A,B,...", help="variants to compare with the base (default: all)"
    )
    compare.add_argument(
        "--out",
        type=Path,
        default=None,
        help="comparison folder (default: results/<name>-compare/, replacing an earlier one)",
    )
    compare.add_argument(
        "--force", action="store_true", help="replace the folder if it already holds files"
    )
    set_option(compare, " (to every run compared)")
    monte_carlo_options(compare)
    compare.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    compare.set_defaults(handler=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    """`dcsim compare`: run the chosen runs on common random numbers, write the folder and
    print its summary."""
    from sim.cli_workbench import run_options
    from sim.compare import compare
    from sim.outputs import console
    from sim.outputs.files import write_comparison
    from sim.outputs.folders import is_run_folder
    from sim.scenario.variants import parse_set

    started = time.perf_counter()
    options = run_options(args)
    runs = _runs(args.files, args.variants, [parse_set(text) for text in args.set])
    for loaded in runs.values():
        for warning in loaded.warnings:
            print(str(warning), file=sys.stderr)
    first = next(iter(runs.values())).scenario.scenario.name
    out = args.out if args.out is not None else Path("results") / f"{first}-compare"
    comparison = compare(runs, options)
    replaced = args.out is None and is_run_folder(out)
    folder = write_comparison(comparison, out, force=args.force, replace=args.out is None)
    elapsed = time.perf_counter() - started
    print(console.comparison_lines(runs, comparison.table, folder, elapsed, replaced))
    risk = console.risk_lines(comparison.tranches, comparison.risk, options.replications)
    if risk:
        print(risk)
    return 0


def _runs(files: list[Path], variants: str | None, sets: list[Setting]) -> dict[str, Loaded]:
    """The runs compared, by name: two files by their names, or a scenario's base and the
    variants named (default: all), each with the ``--set`` values."""
    from sim.errors import did_you_mean
    from sim.scenario.loader import load_all, load_file

    if len(files) > 2:
        raise UsageError("compare takes one scenario with variants, or two scenario files")
    if len(files) == 2:
        if variants:
            raise UsageError("--variants goes with one scenario file, not two")
        runs = {path.stem: load_file(path, overrides=sets) for path in files}
        if len(runs) < 2:
            raise UsageError("the two files have the same name; rename one")
        return runs
    everything = load_all(files[0])
    names = [v for v in everything if v is not None]
    chosen = [v.strip() for v in variants.split(",")] if variants else names
    twice = sorted({v for v in chosen if chosen.count(v) > 1})
    if twice:
        raise UsageError(f"--variants names `{twice[0]}` more than once; name each once")
    unknown = [v for v in chosen if v not in names]
    if unknown:
        raise UsageError(
            f"no variant `{unknown[0]}` in {files[0]}; " + did_you_mean(unknown[0], names)
        )
    if not chosen:
        raise UsageError(f"{files[0]} declares no variants; add `variants:` or give two files")
    runs = {"base": everything[None], **{v: everything[v] for v in chosen}}
    if sets:
        runs = {n: load_file(files[0], r.variant, sets) for n, r in runs.items()}
    return runs
