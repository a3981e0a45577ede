"""The `dcsim` command, run through its installed console-script entry point."""

from __future__ import annotations

import argparse
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli import build_parser
from sim.errors import UsageError
from sim.runner import RunOptions
from tests.helpers import EXAMPLE, SCENARIOS, dcsim


def test_help_explains_the_commands() -> None:
    result = dcsim("--help")
    assert result.returncode == 0
    for command in ("run", "validate", "schema"):
        assert command in result.stdout
    run_help = dcsim("run", "--help").stdout
    assert "--out" in run_help
    assert "--force" in run_help
    assert "--step" in run_help


def test_validate_accepts_every_shipped_scenario() -> None:
    files = sorted(SCENARIOS.glob("*.yaml"))
    result = dcsim("validate", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok: ") == len(files)


def test_validate_reports_located_problems_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("it_mw: 20\n", "it_mv: 20\n", 1))
    result = dcsim("validate", bad)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(
        f"{bad}:" in line
        and "sites.north.halls.hall_a.it_mv: unknown key `it_mv`; did you mean `it_mw`?" in line
        for line in lines
    ), result.stderr
    assert any(
        f"{bad}:22: sites.north.halls.hall_a.it_mw: `it_mw` is required" in line for line in lines
    ), result.stderr
    assert lines[-1] == f"{bad}: 2 problems found."


def test_validate_reports_every_broken_reference(tmp_path: Path) -> None:
    # References are checked once the structure is valid, all of them in one report.
    bad = tmp_path / "refs.yaml"
    bad.write_text(
        EXAMPLE.read_text()
        .replace("platform: nvl72", "platform: nvl27")
        .replace("site: south", "site: sooth")
    )
    result = dcsim("validate", bad)
    assert result.returncode == 2
    assert (
        f"{bad}:66: deliveries.vendor.platform: no platform `nvl27`; did you mean `nvl72`?"
        in result.stderr
    )
    assert "contracts.tenant_lease.site: no site `sooth`; did you mean `south`?" in result.stderr
    assert result.stderr.splitlines()[-1] == f"{bad}: 2 problems found."


def test_validate_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = dcsim("validate", tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert f"{tmp_path / 'nope.yaml'}: (file): no such file; check the path" in result.stderr


def test_run_writes_the_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "example"
    result = dcsim("run", EXAMPLE, "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}/" in result.stdout
    assert "acme_cloud (gpu_cloud): 200/200 racks delivered" in result.stdout
    assert (out / "timeline.parquet").exists()
    assert (out / "plots" / "portfolio.png").exists()


def test_run_defaults_to_results_scenario_name(tmp_path: Path) -> None:
    result = dcsim("run", EXAMPLE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "results" / "example" / "summary.json").exists()


def test_run_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    refused = dcsim("run", EXAMPLE, "--out", out)
    assert refused.returncode == 2
    assert "already holds files; use --force" in refused.stderr
    assert (out / "keep.txt").exists()
    forced = dcsim("run", EXAMPLE, "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "keep.txt").exists()


def test_run_step_option_sets_the_timeline_resolution(tmp_path: Path) -> None:
    out = tmp_path / "monthly"
    assert dcsim("run", EXAMPLE, "--out", out, "--step", "month").returncode == 0
    dates = [line.split(",")[0] for line in (out / "timeline.csv").read_text().splitlines()[1:4]]
    assert dates == ["2026-01-01", "2026-01-31", "2026-02-28"]


def test_run_of_a_bad_scenario_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("mw: 200,", "mw: -200,"))
    out = tmp_path / "out"
    result = dcsim("run", bad, "--out", out)
    assert result.returncode == 2
    assert "sites.north.grid[0].mw: must be > 0 (got -200)" in result.stderr
    assert not out.exists()


def test_schema_prints_the_json_schema() -> None:
    result = dcsim("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["else"]["title"] == "Scenario"  # a file without imports
    assert schema["then"] == {"$ref": "#/$defs/ScenarioPartial"}  # a file with imports
    assert set(schema["else"]["required"]) == {"scenario"}  # sites may come from imports
    assert schema["else"]["anyOf"] == [{"required": ["sites"]}, {"required": ["imports"]}]
    assert schema["else"]["additionalProperties"] is False


def test_run_with_replications_writes_the_monte_carlo_outputs(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    result = dcsim(
        "run",
        SCENARIOS / "iren_childress.yaml",
        "--out",
        out,
        "-n",
        "12",
        "--seed",
        "3",
        "--jobs",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert "Monte Carlo, 12 replications (seed 3):" in result.stdout
    for name in [
        "percentiles.parquet",
        "percentiles.csv",
        "replications.parquet",
        "on_time.csv",
        "drivers.csv",
        "plots/full_delivery_cdf.png",
        "plots/drivers.png",
        "plots/bands_childress.png",
    ]:
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["monte_carlo"]["replications"] == 12
    assert len(summary["monte_carlo"]["contracts"]["microsoft"]["tranches"]) == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["seed"], manifest["replications"]) == (3, 12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
        (["-n", "0"], "must be at least 1 (got 0)"),
        (["--seed", "x"], "expected a whole number (got 'x')"),
        (["-n", "2", "--seed", str(2**64)], f"--seed: must be at most 2**64 - 1 = {2**64 - 1}"),
    ],
)
def test_bad_monte_carlo_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = dcsim("run", EXAMPLE, "--out", tmp_path / "o", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_the_largest_seed_runs_and_is_recorded(tmp_path: Path) -> None:
    result = dcsim("run", EXAMPLE, "-n", "2", "--seed", str(2**64 - 1), "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["seed"] == 2**64 - 1
    with pytest.raises(UsageError, match=r"seed must be from 0 to 2\*\*64 - 1 \(got -1\)"):
        RunOptions(2, seed=-1)
    with pytest.raises(UsageError, match=r"seed must be from 0 to 2\*\*64 - 1"):
        RunOptions(2, seed=2**64)


def test_no_help_shows_a_doubled_percent_sign() -> None:
    """argparse expands `%%` in arguments' help but not in a command's description."""

    def helps(parser: argparse.ArgumentParser) -> Iterator[str]:
        yield parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from helps(sub)

    texts = list(helps(build_parser()))
    assert len(texts) >= 10  # dcsim, its commands, and priors' own
    assert not [t.splitlines()[0] for t in texts if "%%" in t]
    assert "in the 80% band" in " ".join(dcsim("score", "--help").stdout.split())


def test_run_a_variant_records_its_overrides(tmp_path: Path) -> None:
    out = tmp_path / "v"
    result = dcsim(
        "run", SCENARIOS / "iren_childress.yaml", "--variant", "one_crew_fewer", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "overrides.json").read_text()) == [
        {"path": "sites.childress.crews.count", "old": 6, "new": 5, "by": "variant one_crew_fewer"}
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["variant"] == "one_crew_fewer"
    assert manifest["variants"] == ["one_crew_fewer"]
    assert "count: 5" in (out / "scenario.yaml").read_text()
    missing = dcsim("run", SCENARIOS / "iren_childress.yaml", "--variant", "one_crew_fewr")
    assert missing.returncode == 2
    assert "no variant `one_crew_fewr`; did you mean `one_crew_fewer`?" in missing.stderr


def test_compare_writes_a_comparison_folder(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = dcsim(
        "compare", SCENARIOS / "cipher.yaml", "--variants", "colchis_year_late", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert "compared base, colchis_year_late" in result.stdout
    assert (out / "comparison.csv").exists()
    assert (out / "report.html").exists()
    bad = dcsim("compare", SCENARIOS / "cipher.yaml", "--variants", "nope", "--out", out)
    assert bad.returncode == 2
    assert "no variant `nope`" in bad.stderr
    twice = dcsim(
        "compare",
        SCENARIOS / "cipher.yaml",
        "--variants",
        "colchis_year_late, colchis_year_late",
        "--out",
        tmp_path / "twice",
    )
    assert twice.returncode == 2
    assert twice.stderr == (
        "dcsim: --variants names `colchis_year_late` more than once; name each once\n"
    )
    assert not (tmp_path / "twice").exists()


def test_debug_before_or_after_the_command_is_kept() -> None:
    from sim.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["--debug", "validate", "x.yaml"]).debug is True
    assert parser.parse_args(["validate", "x.yaml", "--debug"]).debug is True
    assert parser.parse_args(["validate", "x.yaml"]).debug is False


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_given_as_the_scenario_is_refused_not_waited_on(tmp_path: Path) -> None:
    pipe = tmp_path / "scenario.yaml"
    os.mkfifo(pipe)  # no one writes to it: opening it to read would wait for ever
    for command in ("validate", "run"):
        result = dcsim(command, pipe)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(
            f"{pipe}: (file): is not a regular file (a pipe, socket or device); save the "
            "scenario to a .yaml file and give that"
        )


def test_a_signal_that_pydantic_reports_as_its_own_error_still_ends_as_a_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A signal raised inside one of our serializers reaches us as pydantic's
    PydanticSerializationError, which no longer says it was a signal."""
    from typing import Annotated

    from pydantic import BaseModel, PlainSerializer

    from sim import cli

    def signalled(value: int) -> int:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises here, in the serializer
        return value

    class Model(BaseModel):
        x: Annotated[int, PlainSerializer(signalled)]

    monkeypatch.setattr(cli, "_validate", lambda args: Model(x=1).model_dump() and 0)
    monkeypatch.setattr(cli, "_signalled", [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # main's handler goes in its place
    assert cli.main(["validate", str(EXAMPLE)]) == 143
    assert capsys.readouterr().err == "dcsim: interrupted; no results were written\n"
