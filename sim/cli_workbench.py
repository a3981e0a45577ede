"""The `dcsim sweep` and `dcsim search` commands: they parse, call `sim.workbench`, and hand
the result to `sim.outputs.workbench`; `dcsim` maps their errors to exit codes.

`add_commands` only declares arguments, so building the parser stays fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cliargs import positive

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario
    from sim.scenario.schema.search import Search

Adder = Callable[..., None]


def add_commands(commands: Any, monte_carlo_options: Adder, set_option: Adder) -> None:
    """Add `sweep` and `search` to the `dcsim` subcommands, with the Monte Carlo and
    ``--set`` options of `run` (the functions that add them are passed in)."""
    hidden = {"action": "store_true", "default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
    sweep = commands.add_parser(
        "sweep",
        help="run a scenario at every combination of some values, on common random numbers",
        description="Run the scenario at every combination of the --vary values (the Cartesian "
        "product), every point under the same seed (common random numbers), and write a "
        "folder with sweep.csv (one row per point: the values, every plan KPI and, with "
        "replications, each tranche's P(on time) and P50/P80 dates and the KPIs' means) and "
        "plots/sweep.png (lines over one axis, a heatmap over two).",
    )
    sweep.add_argument("file", type=Path, help="scenario YAML file")
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="a key path and its values (read as YAML), or PATH=A..B for the whole numbers "
        "from A to B; repeat for more axes: --vary sites.childress.crews.count=4..8",
    )
    _common(sweep, "sweep", monte_carlo_options, set_option)
    sweep.add_argument("--debug", **hidden)
    sweep.set_defaults(handler=run_sweep)

    search = commands.add_parser(
        "search",
        help="find the best values of some keys under constraints (the file's `search:`)",
        description="Search the decision variables of the file's `search:` block for the best "
        "objective that meets its constraints, every point on the same random draws. Chance "
        "constraints (on_time) are estimated from the replications (-n) with a 95% Wilson "
        "interval. Writes search.csv (every point run), search.json (the answer and how sure "
        "it is) and plots/search.png (the trade-off seen).",
    )
    search.add_argument("file", type=Path, help="scenario YAML file with a `search:` block")
    search.add_argument(
        "--method",
        choices=["auto", "exhaustive", "optuna"],
        default=None,
        help="override the block's method (auto: exhaustive when the space has at most "
        "`trials` points, else Optuna)",
    )
    search.add_argument(
        "--trials", type=positive, default=None, metavar="T", help="override the block's trials"
    )
    goal = search.add_mutually_exclusive_group()
    goal.add_argument(
        "--minimize",
        metavar="NAME",
        help="override the block's objective: minimise a KPI (cost_usd: capex, power and crew "
        "cost in the horizon) or a decision variable",
    )
    goal.add_argument("--maximize", metavar="NAME", help="override the block's objective")
    _common(search, "search", monte_carlo_options, set_option)
    search.add_argument("--debug", **hidden)
    search.set_defaults(handler=run_search)


def _common(parser: Any, what: str, monte_carlo_options: Adder, set_option: Adder) -> None:
    parser.add_argument(
        "--variant",
        action="append",
        metavar="NAME",
        help=f"{what} a variant of the scenario instead of the base (repeat to combine)",
    )
    set_option(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"folder (default: results/<name>-{what}/, replacing an earlier one there)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace the folder if it already holds files"
    )
    monte_carlo_options(parser)


def run_options(args: argparse.Namespace) -> Any:
    """The run options of every command that runs (run, compare, sweep, search), validated
    once (bad ones raise UsageError); the progress bar only on a terminal."""
    from sim.runner import RunOptions

    return RunOptions(
        replications=args.replications,
        seed=args.seed,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        bands=args.bands,
        progress=args.replications > 0 and sys.stderr.isatty(),
    )


def _load(args: argparse.Namespace) -> Any:
    from sim.scenario.loader import load_file
    from sim.scenario.variants import parse_set

    loaded = load_file(args.file, args.variant, [parse_set(text) for text in args.set])
    for warning in loaded.warnings:
        print(str(warning), file=sys.stderr)
    return loaded


@contextmanager
def _points_bar(total: int | None = None) -> Iterator[Callable[[int, int, dict[str, Any]], None]]:
    """A progress bar of the points on a terminal, naming the point that is running."""
    from sim.progress import progress_bar

    bar = progress_bar(total=total, disable=not sys.stderr.isatty(), unit="point", leave=False)
    with bar:

        def show(number: int, count: int, point: dict[str, Any]) -> None:
            if bar.total != count:
                bar.total = count
            bar.n = number - 1
            shown = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in point.items())
            bar.set_description(f"point {number}/{count}: {shown}")

        yield show


def run_sweep(args: argparse.Namespace) -> int:
    from sim.outputs.workbench import sweep_lines, write_sweep
    from sim.workbench.space import parse_vary
    from sim.workbench.sweep import sweep

    started = time.perf_counter()
    options = run_options(args)
    axes = [parse_vary(text) for text in args.vary]
    loaded = _load(args)
    with _points_bar() as show:
        result = sweep(loaded, axes, options=options, progress=show)
    name = loaded.scenario.scenario.name
    out = args.out if args.out is not None else Path("results") / f"{name}-sweep"
    folder = write_sweep(result, out, source=loaded, force=args.force, replace=args.out is None)
    print(sweep_lines(result, folder, time.perf_counter() - started))
    return 0


def run_search(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.outputs.workbench import search_lines, write_search
    from sim.workbench.search import search

    options = run_options(args)
    loaded = _load(args)
    spec = loaded.scenario.search
    if spec is None:
        raise UsageError(f"{args.file} has no `search:` block; add one (see the README)")
    if args.minimize is not None or args.maximize is not None:
        spec = _objective(loaded.scenario, spec, args.minimize, args.maximize)
    with _points_bar() as show:
        result = search(
            loaded, spec, options=options, progress=show, method=args.method, trials=args.trials
        )
    name = loaded.scenario.scenario.name
    out = args.out if args.out is not None else Path("results") / f"{name}-search"
    folder = write_search(result, out, source=loaded, force=args.force, replace=args.out is None)
    print(search_lines(result, folder))
    return 0


def _objective(scenario: Scenario, spec: Search, low: str | None, high: str | None) -> Search:
    """``spec`` with the objective ``--minimize``/``--maximize`` give, checked as the
    block's own objective is."""
    from sim.errors import UsageError
    from sim.scenario.schema.search import Objective
    from sim.scenario.searchchecks import check

    spec = spec.model_copy(update={"objective": Objective(minimize=low, maximize=high)})
    for finding in check(scenario.model_copy(update={"search": spec})):
        if finding.path[:2] == ("search", "objective"):
            option = "--minimize" if low is not None else "--maximize"
            raise UsageError(f"{option}: {finding.message}; {finding.hint}")
    return spec
