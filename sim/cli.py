"""The `dcsim` command line: run, validate and describe scenarios.

Exit codes: 0 success; 2 a scenario or usage problem (located messages, no traceback);
1 an unexpected internal error; 130 interrupted. `--debug` shows tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
Simulate the phased roll-out of data-center capacity: grid energization, hall construction
and commissioning, hardware deliveries, installation crews, burn-in, contracts and mining.
"""

EPILOG = """\
examples:
  dcsim validate scenarios/*.yaml
  dcsim run scenarios/example.yaml --out results/example
  dcsim run scenarios/example.yaml --step month --force
  dcsim schema > scenario.schema.json
"""


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
        "--out", type=Path, default=None, help="results folder (default: results/<scenario name>/)"
    )
    run.add_argument(
        "--force", action="store_true", help="replace the results folder if it already holds files"
    )
    run.add_argument(
        "--step",
        choices=["day", "week", "month"],
        default=None,
        help="timeline resolution (default: the scenario's `step`)",
    )
    run.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    validate = commands.add_parser(
        "validate",
        help="check scenario files and report every problem with its line",
        description="Check scenario files without running them. Exit 0 when all are valid, "
        "2 otherwise, with one located message per problem.",
    )
    validate.add_argument("files", type=Path, nargs="+", help="scenario YAML files")
    validate.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    commands.add_parser(
        "schema",
        help="print the JSON Schema of the scenario format",
        description="Print the JSON Schema of the scenario format, for editors that complete "
        "and check YAML (e.g. yaml-language-server).",
    ).add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sim.errors import ScenarioError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        return _schema()
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # output piped into a command that stopped reading (| head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the interpreter from failing on exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("dcsim: interrupted; no results were written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from sim.outputs import OutputError

        if isinstance(exc, OutputError):
            print(f"dcsim: {exc}", file=sys.stderr)
            return EXIT_INPUT
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
    from sim.loader import load_file

    status = EXIT_OK
    for path in args.files:
        try:
            loaded = load_file(path)
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_INPUT
            continue
        for warning in loaded.warnings:
            print(str(warning), file=sys.stderr)
        s = loaded.scenario
        halls = sum(len(site.halls) for site in s.sites.values())
        print(
            f"ok: {path}: {len(s.sites)} sites, {halls} halls, {len(s.deliveries)} deliveries, "
            f"{len(s.contracts)} contracts ({s.scenario.start} to {s.scenario.end})"
        )
    return status


def _schema() -> int:
    import json

    from sim.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from sim.loader import load_file
    from sim.outputs import OutputError, default_out
    from sim.runner import run

    started = time.perf_counter()
    loaded = load_file(args.file)
    for warning in loaded.warnings:
        print(str(warning), file=sys.stderr)
    out = args.out
    if out is not None and out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder; choose another --out")
    result = run(loaded, step=args.step)
    folder = result.write(out if out is not None else default_out(result), force=args.force)
    elapsed = time.perf_counter() - started
    print(_report(result.summary, folder, elapsed))
    return EXIT_OK


def _report(summary: dict[str, Any], folder: Path, elapsed: float) -> str:
    lines = [f"{summary['scenario']['name']}: wrote {folder}/ in {elapsed:.2f} s"]
    for name, c in summary["contracts"].items():
        late = [t for t in c["tranches"] if t["slip_days"] is None or t["slip_days"] > 0]
        full = c["full_delivery"] or "not in horizon"
        lines.append(
            f"  {name} ({c['kind']}): {c['units_delivered']:g}/{c['units_contracted']:g} "
            f"{c['unit']} delivered, full delivery {full}, {len(late)} of "
            f"{len(c['tranches'])} tranches late, revenue ${c['revenue_usd'] / 1e6:,.1f}M"
        )
    lines.append(
        f"  revenue in horizon ${summary['revenue_usd'] / 1e6:,.1f}M; "
        f"peak facility {summary['peak_facility_mw']['all']['mw']:.1f} MW"
    )
    return "\n".join(lines)


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
