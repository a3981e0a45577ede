"""A corpus of bad scenario files: every one must fail to load with a located, hinted problem,
and `dcsim validate` must report them all (exit code 2, no traceback).

Each file in `tests/bad/*.yaml` and `tests/bad/imports/*.yaml` tests one mistake and starts
with its expectations, as comments:

    # expect: <a substring of the problem's message>
    # line: <the line the problem must be reported at, or - for none (file-level)>
    # file: <optional: the file the problem is reported in, relative to this one>
    # hint: <optional: a substring of the problem's hint, e.g. its did-you-mean>

Most files are `tests/bad/_base/minimal.yaml` (a valid scenario) with one edit.
`tests/bad/imports/parts/` holds files the import cases import; they are not cases.
Inputs that cannot carry comments (non-UTF-8, NUL bytes, empty, too large, a folder, a
missing file) are made at run time in tmp_path; their expectations are in RUNTIME.
`tests/bad/warnings/` holds scenarios that load, with a warning (a contract that can never
be met in full).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_file

BAD = Path(__file__).resolve().parent / "bad"
FILES = sorted(BAD.glob("*.yaml")) + sorted((BAD / "imports").glob("*.yaml"))
WARNINGS = sorted((BAD / "warnings").glob("*.yaml"))
DCSIM = Path(sys.executable).parent / "dcsim"
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Expect:
    message: str
    line: int | None
    file: Path
    """Where the problem is reported: the case itself, or (imports) a file it imports."""
    hint: str | None = None


def expectations(path: Path) -> Expect:
    """The `# key: value` comments at the top of a corpus file."""
    header: dict[str, str] = {}
    for text in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"# (expect|line|file|hint): (.*)", text)
        if match is None:
            break
        header[match[1]] = match[2]
    assert {"expect", "line"} <= set(header), f"{path.name}: needs `# expect:` and `# line:`"
    line = None if header["line"] == "-" else int(header["line"])
    file = (path.parent / header["file"]).resolve() if "file" in header else path
    return Expect(header["expect"], line, file, header.get("hint"))


def base_text() -> str:
    """The minimal valid scenario, without its comment lines."""
    text = (BAD / "_base" / "minimal.yaml").read_text()
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# --- inputs made at run time: each maker gets an empty folder and returns the path to load ---


def _non_utf8(folder: Path) -> Path:
    path = folder / "latin1.yaml"
    text = base_text().replace("  name: t\n", "  name: t\n  description: caf\xe9\n")
    path.write_bytes(text.encode("latin-1"))
    return path


def _nul_bytes(folder: Path) -> Path:
    path = folder / "binary.yaml"
    path.write_bytes(base_text().encode().replace(b"burn_in: 7d", b"burn_in: 7d\x00\x01\x02"))
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.yaml"
    path.write_bytes(b"")
    return path


def _huge(folder: Path) -> Path:
    path = folder / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(TEN_MB + 1)  # sparse: costs no disk and no time
    return path


def _directory(folder: Path) -> Path:
    path = folder / "folder.yaml"
    path.mkdir()
    return path


def _missing(folder: Path) -> Path:
    return folder / "no_such_scenario.yaml"


def _utf16(folder: Path) -> Path:
    path = folder / "utf16.yaml"
    path.write_bytes(base_text().encode("utf-16"))  # with a BOM, as Windows editors save it
    return path


def _symlink_escape(folder: Path) -> Path:
    (folder / "outside.yaml").write_text(base_text())
    inner = folder / "inner"
    inner.mkdir()
    (inner / "link.yaml").symlink_to(folder / "outside.yaml")
    path = inner / "top.yaml"
    path.write_text("imports: [link.yaml]\n" + base_text())
    return path


# name -> (maker, message substring, line or None)
RUNTIME: dict[str, tuple[Callable[[Path], Path], str, int | None]] = {
    "non_utf8": (_non_utf8, "is not valid UTF-8", line_of(base_text(), "  name: t") + 1),
    "nul_bytes": (_nul_bytes, "NUL bytes", line_of(base_text(), "burn_in: 7d")),
    "empty": (_empty, "empty", 1),
    "huge": (_huge, "more than the", None),
    "directory": (_directory, "is a directory", None),
    "missing": (_missing, "no such file", None),
    "utf16": (_utf16, "UTF-16", None),
    "symlink_escape": (_symlink_escape, "outside this file's folder", 1),
}


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as exc:
        load_file(path)
    problems = exc.value.problems
    assert any(p.severity == "error" for p in problems), problems
    return problems


def check(path: Path, expect: Expect) -> None:
    """Loading ``path`` fails; a problem has the expected message, line, file and hint; every
    problem has a key path and renders as `FILE:LINE: path: message; hint`."""
    problems = problems_of(path)
    shown = "\n".join(f"  {p!r}" for p in problems)
    for p in problems:
        assert p.path, f"problem without a key path:\n{shown}"
        assert "\n" not in str(p), f"a problem must be one line:\n{shown}"
        assert str(p).startswith((f"{path}:", f"{expect.file}:")), f"not located:\n{shown}"
    hits = [p for p in problems if expect.message in p.message]
    assert hits, f"no message contains {expect.message!r}:\n{shown}"
    located = [p for p in hits if p.line == expect.line and Path(p.file) == expect.file]
    assert located, f"expected at {expect.file.name}:{expect.line}:\n{shown}"
    if expect.hint is not None:
        assert any(expect.hint in p.hint for p in located), f"no hint has {expect.hint!r}:\n{shown}"


def _id(path: Path) -> str:
    return str(path.relative_to(BAD))


def test_the_corpus_is_large() -> None:
    assert len(FILES) + len(RUNTIME) >= 60


def test_the_base_is_valid() -> None:
    assert load_file(BAD / "_base" / "minimal.yaml").warnings == []


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_bad_file(path: Path) -> None:
    check(path, expectations(path))


@pytest.mark.parametrize("name", RUNTIME)
def test_bad_input_made_at_run_time(name: str, tmp_path: Path) -> None:
    make, message, line = RUNTIME[name]
    path = make(tmp_path)
    check(path, Expect(message, line, path))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_problem_has_a_hint(path: Path) -> None:
    missing = [p for p in problems_of(path) if not p.hint]
    assert not missing, "\n".join(repr(p) for p in missing)


@pytest.mark.parametrize("name", RUNTIME)
def test_every_problem_made_at_run_time_has_a_hint(name: str, tmp_path: Path) -> None:
    missing = [p for p in problems_of(RUNTIME[name][0](tmp_path)) if not p.hint]
    assert not missing, "\n".join(repr(p) for p in missing)


def test_dcsim_validate_reports_every_file(tmp_path: Path) -> None:
    """One run of the real command over the whole corpus, alias bomb and deep nesting
    included: exit code 2, every file named, one problem per line, no traceback."""
    made = []
    for name, (make, _, _) in RUNTIME.items():
        folder = tmp_path / name
        folder.mkdir()
        made.append(make(folder))
    paths = [*FILES, *made]
    assert {BAD / "alias_bomb.yaml", BAD / "deep_nesting.yaml"} <= set(paths)
    result = subprocess.run(
        [str(DCSIM), "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,  # a safety net against a hang, not a timing assertion
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    missing = [str(p) for p in paths if str(p) not in result.stderr]
    assert not missing, f"not reported: {missing}\n{result.stderr}"
    reported = (str(BAD), str(tmp_path))
    strays = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith(reported) and not re.fullmatch(r"\d+ problems? found\.", line)
    ]
    assert not strays, "lines that are not `FILE:LINE: path: message; hint`:\n" + "\n".join(strays)


@pytest.mark.parametrize("path", WARNINGS, ids=_id)
def test_warning_not_error(path: Path) -> None:
    expect = expectations(path)
    loaded = load_file(path)  # does not raise
    [warning] = loaded.warnings
    assert warning.severity == "warning"
    assert "short by" in warning.message
    assert expect.message in warning.message
    assert (warning.file, warning.line) == (str(path), expect.line)
    assert warning.path
    assert warning.hint
    assert str(warning).startswith(f"{path}:{expect.line}: warning: ")


def test_dcsim_validate_passes_warnings() -> None:
    assert WARNINGS
    result = subprocess.run(
        [str(DCSIM), "validate", *map(str, WARNINGS)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "warning" in result.stderr
    for path in WARNINGS:
        assert f"{path}:" in result.stderr, result.stderr
