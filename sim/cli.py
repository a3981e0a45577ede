"""The `dcsim` command line: run, validate and describe scenarios.

Exit codes: 0 success; 2 a scenario or usage problem (located messages, no traceback);
1 an unexpected internal error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
`--debug` shows tracebacks.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cliargs import positive, seed
from sim.errors import UsageError  # options that do not go together; exit 2

if TYPE_CHECKING:
    from sim.outputs.plots.chartworker import ChartWorker

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


DESCRIPTION = """\
Simulate the phased roll-out of data-center capacity: grid energization, hall construction
and commissioning, hardware deliveries, installation crews, burn-in, contracts and mining.
"""

EPILOG = """\
examples:
  dcsim validate scenarios/*.yaml
  dcsim run scenarios/example.yaml --out results/example
  dcsim run scenarios/example.yaml --step month --force
  dcsim sweep scenarios/example.yaml --vary sites.north.crews.count=2..5 -n 100
  dcsim schema > scenario.schema.json
"""


def _monte_carlo_options(parser: argparse.ArgumentParser) -> None:
    """--replications, --seed, --jobs, --executor, --scheduler and --bands, for every command
    that runs."""
    mc = parser.add_argument_group(
        "Monte Carlo",
        "Run the scenario N more times with uncertain inputs drawn from their distributions. "
        "The same seed gives the same results whatever --jobs or --executor.",
    )
    mc.add_argument(
        "--replications",
        "-n",
        type=positive,
        default=0,
        metavar="N",
        help="number of replications (default: none, the plan run only)",
    )
    mc.add_argument(
        "--seed", type=seed, default=1, metavar="S", help="root random seed (default: 1)"
    )
    mc.add_argument(
        "--jobs",
        "-j",
        type=positive,
        default=1,
        metavar="J",
        help="local worker processes (default: 1; not with --executor dask)",
    )
    mc.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="where replications run (default: local processes)",
    )
    mc.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask.distributed scheduler address, with --executor dask (e.g. tcp://10.0.0.5:8786)",
    )
    mc.add_argument(
        "--bands",
        choices=["headline", "all"],
        default="headline",
        help="timeline metrics with percentile bands: the headline ones the plots draw "
        "(default), or all of them (slower, more memory)",
    )


def build_parser() -> argparse.ArgumentParser:
    import sim

    parser = argparse.ArgumentParser(
        prog="dcsim",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dcsim {sim.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a scenario and write its results folder",
        description="Run a scenario and write timelines, contract table, event log, KPI "
        "summary, the resolved scenario, a manifest and plots to a results folder.",
    )
    run.add_argument("file", type=Path, help="scenario YAML file")
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default: results/<scenario name>/, replacing an earlier run there)",
    )
    run.add_argument("--force", action="store_true", help="replace the results folder if not empty")
    run.add_argument(
        "--step", choices=["day", "week", "month"], help="timeline resolution (default: `step`)"
    )
    run.add_argument(
        "--variant",
        action="append",
        metavar="NAME",
        help="run a variant of the scenario instead of the base; repeat to combine variants "
        "(applied in order; two that set the same key differently are an error)",
    )
    _set_option(run)
    run.add_argument(
        "--excel",
        action="store_true",
        help="also write a workbook, <scenario name>.xlsx: summary, tranches, a monthly "
        "money table per site",
    )
    _monte_carlo_options(run)

    from sim.cli_compare import add_command as add_compare

    add_compare(commands, _monte_carlo_options, _set_option)
    validate = commands.add_parser(
        "validate",
        help="check scenario files and report every problem with its line",
        description="Check scenario files without running them. Exit 0 when all are valid, "
        "2 otherwise, with one located message per problem.",
    )
    validate.add_argument("files", type=Path, nargs="+", help="scenario YAML files")
    commands.add_parser(
        "schema",
        help="print the JSON Schema of the scenario format",
        description="Print the JSON Schema of the scenario format, for editors that complete "
        "and check YAML (e.g. yaml-language-server).",
    )
    for sub in (run, validate, commands.choices["schema"]):  # also after the command
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    from sim.calibration.commands import add_commands

    add_commands(commands)
    from sim.cli_workbench import add_commands as add_workbench

    add_workbench(commands, _monte_carlo_options, _set_option)
    return parser


def _set_option(parser: argparse.ArgumentParser, where: str = "") -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override one value by key path, read as YAML, after any variant"
        f"{where}: --set sites.childress.crews.count=5 --set deliveries.dell.slip=60d",
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so the same clean-up runs as for Ctrl-C."""


_signalled: list[KeyboardInterrupt] = []
"""The signals this process received, as the exceptions they raised. A signal that arrives
while pydantic runs one of our serializers is raised there, and pydantic reports it as a
serialization error that no longer says so: this list tells it apart from a real one."""


def _terminate(signum: int, frame: object) -> None:
    _signalled.append(Terminated())
    raise _signalled[-1]


def _interrupt(signum: int, frame: object) -> None:
    _signalled.append(KeyboardInterrupt())
    raise _signalled[-1]


def _interrupted(exc: KeyboardInterrupt) -> int:
    print("dcsim: interrupted; no results were written", file=sys.stderr)
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    from sim.errors import ScenarioError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if "handler" in args:  # commands added by other packages (dcsim priors, dcsim score)
            return int(args.handler(args))
        return _schema()
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # output piped into a command that stopped reading (| head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the interpreter from failing on exit
        return EXIT_OK
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except UsageError as exc:  # options, setup or environment: the user's to change
        print(f"dcsim: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:  # the machine's limit, not a bug: what to do differently
        print(
            "dcsim: out of memory; run fewer replications or sites, or on a machine (or a "
            "dask cluster) with more memory",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except Exception as exc:
        if _signalled:  # a signal raised where a library wrapped it (pydantic's serializers)
            return _interrupted(_signalled[-1])
        if args.debug:
            raise
        print(
            f"dcsim: internal error: {type(exc).__name__}: {exc}\n"
            "rerun with --debug for the traceback, and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _validate(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.outputs.formats import plural
    from sim.scenario.loader import load_file

    status = EXIT_OK
    for path in args.files:
        try:
            loaded = load_file(path)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(str(problem), file=sys.stderr)
            print(exc.count(str(path)), file=sys.stderr)
            status = EXIT_INPUT
            continue
        for warning in loaded.warnings:
            print(str(warning), file=sys.stderr)
        s = loaded.scenario
        halls = sum(len(site.halls) for site in s.sites.values())
        print(
            f"ok: {path}: {plural(len(s.sites), 'site')}, {plural(halls, 'hall')}, "
            f"{plural(len(s.deliveries), 'delivery', 'deliveries')}, "
            f"{plural(len(s.contracts), 'contract')} ({s.scenario.start} to {s.scenario.end})"
        )
    return status


def _schema() -> int:
    import json

    from sim.scenario.schema.jsonschema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from sim.gcpause import paused_gc
    from sim.outputs.plots.chartworker import ChartWorker
    from sim.scenario.loader import load_file
    from sim.scenario.variants import parse_set

    started = time.perf_counter()
    charts: ChartWorker | None = None
    try:
        # The scenario, and the plan run's result, live until the process ends
        # (sim.gcpause); replications run after, with the collector on: their workers are
        # forked from here.
        with paused_gc(keep=True):
            loaded = load_file(args.file, args.variant, [parse_set(text) for text in args.set])
            for warning in loaded.warnings:
                print(str(warning), file=sys.stderr)
            from sim.outputs.folders import check_writable, is_run_folder, results_folder

            out = args.out
            check_writable(
                out if out is not None else results_folder(loaded.scenario),
                force=args.force,
                replace_run=out is None,
            )
            # Forked once the scenario is valid and its folder can be written, the chart
            # worker imports matplotlib while this process imports the engine and runs the
            # plan, then draws the charts while the files are written. A Monte Carlo study's
            # charts wait for its replications, and are drawn after them (`draw_all`).
            if args.replications == 0:
                charts = ChartWorker.start()
            from sim.cli_workbench import run_options
            from sim.outputs import console
            from sim.outputs.files import write_run
            from sim.runner import run

            options = run_options(args)
            if options.replications == 0:
                result = run(loaded, step=args.step, options=options)
        if options.replications > 0:
            result = run(loaded, step=args.step, options=options)
        replaced = out is None and is_run_folder(results_folder(result.scenario))
        folder = write_run(result, out, force=args.force, excel=args.excel, charts=charts)
    finally:
        if charts is not None:
            charts.stop()  # at once, whatever happened
    elapsed = time.perf_counter() - started
    summary = dict(result.summary)
    if result.monte_carlo is not None:
        summary["monte_carlo"] = result.monte_carlo.summary
    print(console.run_lines(summary, folder, elapsed, replaced))
    return EXIT_OK


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # python -m sim.cli, as the console script
    main_entry()
