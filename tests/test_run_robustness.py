"""Runs are clean and robust: a successful run prints nothing but its result, plot and
Monte Carlo workers never hang or leak, two runs never overwrite each other, and problems of
the user's environment or setup exit 2 with the path or the command to fix them."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import sim
from sim.errors import UsageError
from sim.runner import RunOptions
from tests.helpers import (
    EXAMPLE,
    ROOT,
    SCENARIOS,
    STORY,
    children,
    dcsim,
    dcsim_path,
    processes_mentioning,
    unwritable_folder,
)

needs_two_cores = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="plot workers run only with at least 2 cores"
)


@needs_two_cores
def test_successful_runs_print_nothing_on_stderr(tmp_path: Path) -> None:
    # The plot pool's workers used to inherit the CLI's SIGTERM handler: a traceback on
    # stderr in about one run in three, and now and then a worker hung on a lock.
    for attempt in range(8):
        out = tmp_path / f"run{attempt}"
        result = dcsim("run", EXAMPLE, "--out", out)  # times out (fails) if a run hangs
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", f"attempt {attempt}: {result.stderr}"
        assert (out / "plots" / "portfolio.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"run{i}" for i in range(8)]


def test_a_run_with_no_revenue_yet_draws_without_a_legend_warning(tmp_path: Path) -> None:
    short = copy.deepcopy(STORY)
    short["scenario"]["end"] = "2026-02-15"  # before any rack is online: no revenue at all
    file = tmp_path / "short.yaml"
    file.write_text(yaml.safe_dump(short))
    result = dcsim("run", file, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "out" / "plots" / "revenue.png").exists()


@needs_two_cores
def test_a_killed_monte_carlo_worker_stops_the_run_and_names_the_lost_replications(
    tmp_path: Path,
) -> None:
    out = tmp_path / "killed-worker-run"
    proc = subprocess.Popen(
        [dcsim_path(), "run", SCENARIOS / "portfolio.yaml", "-n", "3000", "-j", "2", "--out", out],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = children(proc.pid)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
    try:
        stdout, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("dcsim hung after one of its workers was killed")
    assert proc.returncode == 2
    assert "a Monte Carlo worker process died" in stderr
    assert "of 3000 were lost and no results were written" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    time.sleep(0.5)
    assert processes_mentioning(str(out)) == []  # no worker left behind
    assert list(tmp_path.iterdir()) == []  # no result folder, no staging folder


def test_a_run_killed_outright_leaves_only_a_hidden_folder_and_the_next_run_removes_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "r"
    proc = subprocess.Popen(
        [dcsim_path(), "run", SCENARIOS / "portfolio.yaml", "--out", out],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".r.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)  # as a power cut or the out-of-memory killer would
    proc.communicate(timeout=30)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] != [], "killed before it began writing"

    again = dcsim("run", SCENARIOS / "portfolio.yaml", "--out", out)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_two_runs_into_the_same_folder_never_both_succeed(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [dcsim_path(), "run", EXAMPLE, "--out", out, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in ([], ["--step", "month"])
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(stderr for code, _, stderr in results if code == 2)
    assert f"{out} " in loser
    assert "another run" in loser or "already holds files" in loser
    assert "Traceback" not in loser
    winner = 0 if results[0][0] == 0 else 1
    step = json.loads((out / "manifest.json").read_text())["step"]
    assert step == ("week" if winner == 0 else "month")  # the winner's results, intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared"]  # no staging left


def test_the_quick_start_command_can_be_run_again(tmp_path: Path) -> None:
    first = dcsim("run", EXAMPLE, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "example: wrote results/example/ in" in first.stdout
    stamp = tmp_path / "results" / "example" / "manifest.json"
    again = dcsim("run", EXAMPLE, "--step", "month", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "wrote results/example/ (replacing the earlier run there)" in again.stdout
    assert json.loads(stamp.read_text())["step"] == "month"
    assert again.stderr == ""
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["example"]
    # a folder in the default place that dcsim did not write is still refused
    other = tmp_path / "elsewhere"
    (other / "results" / "example").mkdir(parents=True)
    (other / "results" / "example" / "notes.txt").write_text("mine")
    refused = dcsim("run", EXAMPLE, cwd=other)
    assert refused.returncode == 2
    assert "results/example already holds files; use --force" in refused.stderr
    assert (other / "results" / "example" / "notes.txt").read_text() == "mine"


def test_an_out_folder_below_a_file_exits_2_with_the_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "run"
    result = dcsim("run", EXAMPLE, "--out", out)
    assert result.returncode == 2
    assert f"cannot write the results folder {out}: Not a directory" in result.stderr
    assert f"({tmp_path / 'file'} is a file)" in result.stderr
    assert "report it" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_folder_that_cannot_be_written_exits_2_with_the_path(tmp_path: Path) -> None:
    out = unwritable_folder(tmp_path)
    parent = out.parent
    result = dcsim("run", EXAMPLE, "--out", out)
    assert result.returncode == 2
    assert f"cannot write the results folder {out}: " in result.stderr
    assert "Permission denied" in result.stderr or "Operation not permitted" in result.stderr
    assert f"({parent}); choose another --out" in result.stderr
    assert "report it" not in result.stderr
    assert not out.exists()


def test_a_full_disk_exits_2_and_leaves_nothing_behind(tmp_path: Path) -> None:
    # ENOSPC from the table writer, raised in the real `main` in its own process.
    out = tmp_path / "full"
    code = (
        "import errno, sys, sim.outputs.files as o\n"
        "def full(*a, **k):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device', str(a[1]))\n"
        "o.write_table = full\n"
        "from sim.cli import main\n"
        f"sys.exit(main(['run', {str(EXAMPLE)!r}, '--out', {str(out)!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 2, result.stderr
    assert f"cannot write the results folder {out}: No space left on device" in result.stderr
    assert f"({tmp_path}); choose another --out" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def without_dask(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import distributed` fails, as when dcsim[dask] is not
    installed."""
    shadow = tmp_path / "shadow" / "distributed"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    # Keep the caller's PYTHONPATH after the shadow: it may be what puts this checkout's
    # `sim` first (the scenarios here need this checkout's schema).
    path = os.pathsep.join(p for p in (str(shadow.parent), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


@pytest.mark.parametrize("command", ["run", "compare"])
def test_dask_without_dask_installed_exits_2_with_the_install_command(
    tmp_path: Path, without_dask: dict[str, str], command: str
) -> None:
    # compare used to drop --executor and run locally (exit 0).
    scenario = SCENARIOS / ("cipher.yaml" if command == "compare" else "example.yaml")
    args = [command, scenario, "-n", "2", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    if command == "compare":
        args += ["--variants", "colchis_year_late"]
    result = subprocess.run(
        [dcsim_path(), *map(str, args), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env=without_dask,
    )
    assert result.returncode == 2, result.stderr
    assert "--executor dask needs dask.distributed" in result.stderr
    assert "pip install 'dcsim[dask]'" in result.stderr
    assert "report it" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
        (["--scheduler", "tcp://h:8786"], "--scheduler goes with --executor dask"),
        (["--executor", "dask", "--scheduler", "tcp://h:8786", "-j", "2"], "drop --jobs"),
    ],
)
def test_compare_refuses_options_it_cannot_honour(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = dcsim("compare", SCENARIOS / "cipher.yaml", "--out", tmp_path / "o", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"replications": -1}, r"replications must be from 0 to 1,000,000 \(got -1\)"),
        (
            {"replications": 10**6 + 1},
            r"replications must be from 0 to 1,000,000 \(got 1,000,001\)",
        ),
        ({"seed": -3}, r"seed must be from 0 to 2\*\*64 - 1 \(got -3\)"),
        ({"jobs": 0}, "jobs must be at least 1"),
        ({"jobs": 1.5}, "jobs must be a whole number"),
        ({"executor": "ray"}, "executor must be one of local, dask"),
        ({"executor": "dask"}, "needs --scheduler"),
        ({"scheduler": "tcp://h:1"}, "--scheduler goes with --executor dask"),
    ],
)
def test_run_options_are_validated_once(fields: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        RunOptions(**fields)


def test_sim_run_keeps_its_keyword_arguments() -> None:
    by_keywords = sim.run(SCENARIOS / "example.yaml", replications=3, seed=5)
    by_options = sim.run(SCENARIOS / "example.yaml", options=RunOptions(3, seed=5))
    assert by_keywords.seed == by_options.seed == 5
    assert by_keywords.monte_carlo is not None
    assert by_options.monte_carlo is not None
    assert by_keywords.monte_carlo.replications.equals(by_options.monte_carlo.replications)
    with pytest.raises(UsageError, match="either options or seed"):
        sim.run(SCENARIOS / "example.yaml", options=RunOptions(), seed=2)


def _as_root(command: list[str | Path], undo: list[str | Path], why: str) -> Callable[[], None]:
    """Run ``command`` (root only), or skip the test; returns what undoes it."""
    if os.geteuid() != 0 or shutil.which(str(command[0])) is None:
        pytest.skip(why)
    if subprocess.run(command, capture_output=True).returncode:
        pytest.skip(why)

    def undone() -> None:
        subprocess.run(undo, check=True)

    return undone


def _immutable(folder: Path) -> Callable[[], None]:
    return _as_root(["chattr", "+i", folder], ["chattr", "-i", folder], "needs root and chattr +i")


def _mount_point(folder: Path) -> Callable[[], None]:
    mount: list[str | Path] = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", folder]
    return _as_root(mount, ["umount", folder], "needs root allowed to mount")


def _read_only(folder: Path) -> Callable[[], None]:
    if os.geteuid() == 0:
        pytest.skip("root may write to any folder a mode protects")
    folder.chmod(0o500)
    return lambda: folder.chmod(0o700)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_immutable, "it cannot be replaced (read-only or immutable)"),
        (_read_only, "it cannot be replaced (read-only or immutable)"),
        (_mount_point, "it is a mount point, and a run is written beside its folder and then "),
    ],
)
def test_an_empty_out_folder_that_cannot_be_replaced_is_refused_before_the_run(
    tmp_path: Path, make: Callable[[Path], Callable[[], None]], message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    undo = make(out)
    try:
        result = dcsim("run", EXAMPLE, "-n", "3", "--out", out)
    finally:
        undo()
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"dcsim: cannot write the results folder {out}: {message}")
    assert result.stdout == ""
    assert list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_running_out_of_memory_is_the_machines_limit_not_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim import cli

    def exhausted(args: object) -> int:
        raise MemoryError

    monkeypatch.setattr(cli, "_run", exhausted)
    assert cli.main(["run", str(EXAMPLE)]) == 2
    assert capsys.readouterr().err == (
        "dcsim: out of memory; run fewer replications or sites, or on a machine (or a dask "
        "cluster) with more memory\n"
    )


@pytest.mark.parametrize(
    ("out", "what", "named"),
    [
        (".", "the current folder", "here"),
        ("", "the current folder", "here"),
        ("sub/..", "the current folder", "here"),
        ("..", "a folder that holds the current one", ""),
        ("~", "the home folder", "home"),
    ],
)
def test_a_folder_a_run_must_never_replace_is_refused_even_with_force(
    tmp_path: Path, out: str, what: str, named: str
) -> None:
    here, home = tmp_path / "here", tmp_path / "home"
    for folder in (here / "sub", home):
        folder.mkdir(parents=True)
        (folder / "keep.txt").write_text("the user's")
    out = str(home) if out == "~" else out
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(
        [dcsim_path(), "run", str(EXAMPLE), "--out", out, "--force"],
        capture_output=True,
        text=True,
        cwd=here,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    shown = "." if out == "" else out
    assert result.stderr == (
        f"dcsim: --out {shown} is {what}; a run replaces its folder whole, so give it a folder "
        f"of its own: --out {tmp_path / named / 'NAME' if named else tmp_path / 'NAME'}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "home"]
    assert (here / "sub" / "keep.txt").read_text() == (home / "keep.txt").read_text()


def _base() -> sim.Scenario:
    return sim.load(EXAMPLE)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sim.load(EXAMPLE, variant=3), "variant is a variant's name or a list of names"),
        (lambda: sim.load(None), "give the scenario file's path (got NoneType)"),
        (lambda: _base().with_overrides({3: 4}), "with_overrides: 3 is not a key path"),
        (lambda: _base().with_overrides([("a.b", 1)]), "with_overrides takes key paths"),
        (lambda: sim.compare({}), "compare takes the runs by name, the base first"),
        (lambda: sim.compare([_base()]), "compare takes the runs by name, the base first"),
        (lambda: sim.compare({"a": _base(), "b": 3}), "run takes a scenario (sim.load)"),
        (lambda: sim.run(None), "run takes a scenario (sim.load), a loaded file"),
        (lambda: sim.write_run(3, "unused"), "write_run takes the result of sim.run (got int)"),
        (lambda: sim.sweep(_base(), {"sites.north.crews.count": 3}), "give the values as a list"),
    ],
)
def test_a_notebook_call_with_the_wrong_kind_of_argument_says_what_it_takes(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert message in str(caught.value)


@pytest.mark.parametrize("module", ["sim", "sim.cli"])
def test_python_dash_m_runs_the_dcsim_command(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {EXAMPLE}: 2 sites")
