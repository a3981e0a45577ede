"""Composing scenarios with `imports:`: merging, overriding, and the errors that locate."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario.loader import load_file, load_text
from tests.helpers import SCENARIOS

HEAD = "scenario: {name: combo, start: 2026-01-01, end: 2027-12-31}\n"
SITE_A = """scenario: {name: a, start: 2020-01-01, end: 2020-12-31}
sites:
  alpha:
    grid: [{name: g, mw: 10, energized: 2026-01-01}]
"""
SITE_B = """sites:
  beta:
    grid: [{name: g, mw: 20, energized: 2026-01-01}]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_file(path)
    return [str(p) for p in exc.value.problems]


def test_imports_merge_entities_and_use_the_importers_scenario_block(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SITE_A)
    write(tmp_path, "parts/b.yaml", SITE_B)
    top = write(tmp_path, "top.yaml", HEAD + "imports: [a.yaml, parts/b.yaml]\n")
    loaded = load_file(top)
    assert sorted(loaded.scenario.sites) == ["alpha", "beta"]
    assert loaded.scenario.scenario.name == "combo"
    assert loaded.files == sorted(
        [str(top), str(tmp_path / "a.yaml"), str(tmp_path / "parts/b.yaml")]
    )


def test_the_importers_own_keys_override_key_by_key(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SITE_A)
    top = write(
        tmp_path,
        "top.yaml",
        HEAD + "imports: [a.yaml]\nsites:\n  alpha:\n    power_price_usd_per_mwh: 55\n",
    )
    site = load_file(top).scenario.sites["alpha"]
    assert site.power_price_usd_per_mwh == 55
    assert site.grid[0].mw == 10  # kept from the import


def test_errors_in_imported_files_name_that_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SITE_A.replace("mw: 10", "mw: -10"))
    top = write(tmp_path, "top.yaml", HEAD + "imports: [a.yaml]\n")
    assert errors(top) == [
        f"{tmp_path / 'a.yaml'}:4: sites.alpha.grid[0].mw: must be > 0 (got -10); change the value"
    ]


def test_a_name_defined_in_two_imports_is_a_located_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SITE_A)
    write(tmp_path, "a2.yaml", SITE_A)
    top = write(tmp_path, "top.yaml", HEAD + "imports: [a.yaml, a2.yaml]\n")
    assert errors(top) == [
        f"{tmp_path / 'a2.yaml'}:3: sites.alpha: `sites.alpha` is also defined in "
        f"{tmp_path / 'a.yaml'}; each name may come from one imported file only; rename one of them"
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../outside.yaml", "is outside this file's folder"),
        ("/etc/passwd", "absolute import path '/etc/passwd'; give a path relative to this file"),
        ("missing.yaml", "no such file; check the path"),
    ],
)
def test_imports_cannot_leave_the_folder_or_name_missing_files(
    tmp_path: Path, target: str, message: str
) -> None:
    write(tmp_path, "outside.yaml", SITE_A)
    top = write(tmp_path, "inner/top.yaml", HEAD + f"imports: [{target}]\n")
    problems = errors(top)
    assert len(problems) == 1
    assert message in problems[0]


def test_a_symlink_pointing_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "outside.yaml", SITE_A)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    top = write(tmp_path, "inner/top.yaml", HEAD + "imports: [link.yaml]\n")
    assert "is outside this file's folder" in errors(top)[0]


def test_import_cycles_are_located(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "imports: [b.yaml]\n" + SITE_B)
    write(tmp_path, "b.yaml", "imports: [a.yaml]\n")
    top = write(tmp_path, "top.yaml", HEAD + "imports: [a.yaml]\n")
    assert errors(top) == [
        f"{tmp_path / 'b.yaml'}:1: imports[0]: import cycle: a.yaml -> b.yaml -> a.yaml; "
        "remove one of the imports"
    ]


def test_imports_in_text_need_a_file() -> None:
    with pytest.raises(ScenarioError, match="imports need a scenario file on disk"):
        load_text(HEAD + "imports: [a.yaml]\n")


def test_the_manifest_hash_covers_imported_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SITE_A)
    top = write(tmp_path, "top.yaml", HEAD + "imports: [a.yaml]\n")
    first = load_file(top).sha256
    write(tmp_path, "a.yaml", SITE_A.replace("mw: 10", "mw: 11"))
    assert load_file(top).sha256 != first


def test_the_resolved_portfolio_runs_without_its_imports(tmp_path: Path) -> None:
    folder = sim.write_run(sim.run(SCENARIOS / "portfolio.yaml"), tmp_path / "portfolio")
    text = (folder / "scenario.yaml").read_text()
    assert "imports" not in text
    assert sorted(load_text(text).scenario.sites) == sorted(
        load_file(SCENARIOS / "portfolio.yaml").scenario.sites
    )


def test_a_file_whose_imports_fail_still_reports_its_own_problems(tmp_path: Path) -> None:
    """A broken import, a misspelt top-level key, a bad value in a partial override, and a
    broken import path: every problem of the file itself is reported with the import's."""
    write(tmp_path, "a.yaml", SITE_A)
    path = write(
        tmp_path,
        "portfolio.yaml",
        "imports: [a.yaml, no_such.yaml, ../out.yaml]\n"
        + HEAD
        + "sites:\n  alpha:\n    crews: {count: 0}\n"  # partial: racks_per_week comes from a.yaml
        + "varients: {}\n",
    )
    found = errors(path)
    assert found[0].startswith(f"{path}:1: imports[1]: cannot import 'no_such.yaml': ")
    assert found[1].startswith(f"{path}:1: imports[2]: '../out.yaml' is outside this file's")
    assert found[2:] == [
        f"{path}:5: sites.alpha.crews.count: must be > 0 (got 0); change the value",
        f"{path}:6: varients: unknown key `varients`; did you mean `variants`?",
    ]


def test_dcsim_validate_reports_the_file_s_own_problems_beside_a_failed_import(
    tmp_path: Path,
) -> None:
    from tests.helpers import dcsim

    path = write(tmp_path, "p.yaml", "imports: [gone.yaml]\n" + HEAD + "contract: {}\n")
    result = dcsim("validate", path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:1: imports[0]: cannot import 'gone.yaml': ")
    assert lines[1:] == [
        f"{path}:3: contract: unknown key `contract`; did you mean `contracts`?",
        f"{path}: 2 problems found.",
    ]
