"""The `dcsim priors fit`, `dcsim priors backtest` and `dcsim score` commands.

`add_commands` only declares arguments, so building the parser stays fast; the work (and
scipy, pandas, matplotlib) is imported when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


def add_commands(commands: Any) -> None:
    """Add `priors` and `score` to the `dcsim` subcommands; each sets `handler`, the function
    `dcsim` calls with the parsed arguments."""
    hidden = {"action": "store_true", "default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
    priors = commands.add_parser(
        "priors",
        help="fit slip priors to planned-versus-actual records, or backtest them",
        description="Reference-class priors (docs/calibration.md).",
    )
    priors.add_argument("--debug", **hidden)
    priors.set_defaults(handler=run_command)
    actions = priors.add_subparsers(dest="priors_command", metavar="ACTION", required=True)
    fit = actions.add_parser(
        "fit",
        help="fit a prior per kind to RECORDS.csv; print them, plot the fit, write YAML",
        description="Fit a normal slip per kind (censored and interval records included) "
        "and write RECORDS.priors.yaml (distributions to paste as a `slip:`) and "
        "RECORDS.fit.png (a PIT plot) next to the records, or into --out.",
    )
    fit.add_argument("records", type=Path, help="records CSV (columns: docs/calibration.md)")
    fit.add_argument("--out", type=Path, default=None, help="folder for the YAML and the PNG")
    fit.add_argument("--debug", **hidden)
    back = actions.add_parser(
        "backtest",
        help="forecast each record from the priors fitted without it, and score them",
        description="Leave-one-out backtest: coverage of the 80% band and mean Brier score.",
    )
    back.add_argument(
        "records", type=Path, nargs="?", default=None, help="records CSV (default: shipped)"
    )
    back.add_argument("--debug", **hidden)
    score = commands.add_parser(
        "score",
        help="score a Monte Carlo forecast against actual milestone dates",
        description="Per tranche: the forecast P10/P50/P80/P90, whether the actual fell in "
        "the 80% band, the P50 error in days and the Brier score of P(on time); overall "
        "coverage and mean Brier. Writes score.csv and score.json.",
    )
    score.add_argument("forecast", type=Path, help="results folder of `dcsim run -n N`")
    score.add_argument("actuals", type=Path, help="actuals CSV (columns: docs/calibration.md)")
    score.add_argument(
        "--out", type=Path, default=None, help="folder for score.csv/json (default: FORECAST)"
    )
    score.add_argument("--debug", **hidden)
    score.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run `priors fit`, `priors backtest` or `score`; user errors raise ScenarioError."""
    if args.command == "score":
        return _score(args)
    if args.priors_command == "fit":
        return _fit(args)
    return _backtest(args)


def _fit(args: argparse.Namespace) -> int:
    from sim.calibration.fit import fit_priors
    from sim.calibration.library import distribution
    from sim.calibration.plots import pit_plot
    from sim.calibration.records import read_records

    records = read_records(args.records)
    fits = fit_priors(records.dated, str(args.records))
    out = args.out or args.records.parent
    _writable(out)
    stem = args.records.stem
    lines = [f"# Priors fitted to {args.records.name} by `dcsim priors fit` (normal slips in"]
    lines.append("# days, floored at 0d, capped at mean + 3 sd). Paste a mapping after `slip:`.")
    print(f"{len(records.dated)} dated records in {args.records}")
    for record_id, why in records.skipped:
        print(f"  not fitted: {record_id} ({why})")
    for name, fit in fits.items():
        source = "all records pooled" if fit.pooled else f"its {_records(fit.records)}"
        text = (
            f"{name}: normal mean {fit.mean:.1f}d, sd {fit.sd:.1f}d; P(on time) "
            f"{fit.cdf(0):.0%}; {_records(fit.records)}, centre from {source}, spread from "
            f"{_records(fit.spread_from)}"
        )
        print(text)
        dumped = yaml.safe_dump(distribution(fit), sort_keys=False, default_flow_style=True)
        lines += [f"# {text}", f"{name}: {dumped.strip()}"]
    yaml_path, png_path = out / f"{stem}.priors.yaml", out / f"{stem}.fit.png"
    with _writing(out):
        yaml_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pit_plot(records.dated, fits, png_path)
    print(f"wrote {yaml_path} and {png_path}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from sim.calibration.backtest import backtest
    from sim.calibration.records import SHIPPED, read_records

    records = read_records(args.records or SHIPPED)
    table, overall = backtest(records.dated, records.file)
    print(f"leave-one-out backtest of {len(records.dated)} records in {records.file}")
    _print(table, overall)
    return 0


def _score(args: argparse.Namespace) -> int:
    from sim.calibration.score import read_actuals, read_forecast, score, tranches

    forecast, notes = read_forecast(args.forecast)
    table, overall = score(forecast, read_actuals(args.actuals, tranches(forecast)))
    overall["notes"] = notes
    out = args.out or args.forecast
    _writable(out)
    for note in notes:
        print(f"note: {note}")
    _print(table, overall)
    with _writing(out):
        table.to_csv(out / "score.csv", index=False)
        (out / "score.json").write_text(json.dumps(overall, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out / 'score.csv'} and {out / 'score.json'}")
    return 0


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Turn a failure to write into ``folder`` into a located user error (exit 2)."""
    from sim.errors import Problem, ScenarioError

    try:
        yield
    except OSError as exc:
        raise ScenarioError(
            [
                Problem(
                    str(folder),
                    None,
                    "(folder)",
                    f"cannot be written ({exc.strerror})",
                    "give another --out",
                )
            ]
        ) from None


def _writable(folder: Path) -> None:
    with _writing(folder):
        folder.mkdir(parents=True, exist_ok=True)


def _records(n: int) -> str:
    return f"{n} record" if n == 1 else f"{n} records"


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}"
    return str(value)


def _print(table: Any, overall: dict[str, Any]) -> None:
    rows = [list(table.columns)] + [[_cell(v) for v in r] for r in table.itertuples(index=False)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    coverage, brier = overall["coverage_80"], overall["mean_brier"]
    print(
        f"coverage of the 80% band: {_cell(coverage if coverage is None else f'{coverage:.0%}')} "
        f"of {overall['band_settled']} settled; mean Brier score: {_cell(brier)} over "
        f"{overall['on_time_settled']} settled on-time outcomes (0.25 is a coin toss)"
    )
    sys.stdout.flush()
