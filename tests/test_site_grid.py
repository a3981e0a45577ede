"""Halls that each fit their site's grid but together do not: a located warning that states
the shortfall, from the loader and through `dcsim validate`."""

from __future__ import annotations

from pathlib import Path

from sim.scenario.loader import load_text
from tests.helpers import dcsim
from tests.test_errors import NAME, edit

# hall_a reserves its gross 30 MW; hall_b reserves 130 MW: each fits the site's 150 MW, the
# two together need 160 MW.
TOO_SMALL = edit("pue: 1.2\n", "pue: 1.2\n        grid_mw: 130\n")
MESSAGE = (
    "the halls need 160 MW of grid together but site `north` can never have more than "
    "150 MW (short by 10)"
)
HINT = "the last hall to reserve power is never ready; add a grid phase or make the halls smaller"


def test_halls_that_together_exceed_the_grid_are_a_warning() -> None:
    [w] = load_text(TOO_SMALL, NAME).warnings  # does not raise: the run goes on
    assert (w.line, w.path, w.message, w.hint, w.severity) == (
        11,
        "sites.north.halls",
        MESSAGE,
        HINT,
        "warning",
    )


def test_halls_that_fit_together_give_no_warning() -> None:
    fits = edit("pue: 1.2\n", "pue: 1.2\n        grid_mw: 120\n")  # 30 + 120 = 150 MW
    assert load_text(fits, NAME).warnings == []


def test_a_hall_too_big_alone_is_an_error_without_the_total_warning() -> None:
    from tests.test_errors import problems

    found = problems(edit("pue: 1.2\n", "pue: 1.2\n        grid_mw: 160\n"))
    assert [(p.path, p.severity) for p in found] == [("sites.north.halls.hall_b.grid_mw", "error")]


def test_the_issue_case_through_dcsim_validate(tmp_path: Path) -> None:
    """400 MW of grid against four halls of 118 MW gross (472 MW): each fits, together not."""
    halls = "".join(
        f"      h{i}:\n        it_mw: 80\n        gross_mw: 118\n"
        f"        construction: {{start: 2026-0{i}-01, duration: 6mo}}\n"
        for i in range(1, 5)
    )
    text = (
        "scenario: {name: t, start: 2026-01-01, end: 2027-12-31}\n"
        "sites:\n  west:\n    grid:\n      - {name: g1, mw: 400, energized: 2026-01-01}\n"
        f"    halls:\n{halls}"
    )
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    result = dcsim("validate", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"{path}:6: warning: sites.west.halls: the halls need 472 MW of grid together but "
        f"site `west` can never have more than 400 MW (short by 72); {HINT}\n"
    )
    assert result.stdout.startswith(f"ok: {path}: 1 site, 4 halls")
