"""Overrides everywhere: `--set`, combined variants, `Scenario.with_overrides`, `sim.load`
with variants; one implementation, located errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario.loader import load_text
from sim.scenario.variants import parse_set
from tests.helpers import EXAMPLE, SCENARIOS, STORY, dcsim, scenario_from

VARIANTS = (
    "\nvariants:\n"
    "  three_crews:\n    sites.north.crews.count: 3\n"
    "  late_vendor:\n    deliveries.vendor.slip: 10d\n"
    "  four_crews:\n    sites.north.crews.count: 4\n"
    "  also_three:\n    sites.north.crews.count: 3\n"
)
TEXT = EXAMPLE.read_text() + VARIANTS
FOUR_CREWS_LINE = TEXT.count("\n") - 2  # the line of `sites.north.crews.count: 4`


def delivered(result: sim.Result) -> list[str]:
    events = result.events[result.events["milestone"] == "delivered"]
    return [f"{d:%Y-%m-%d}" for d in events["date"]]


def test_with_overrides_returns_a_validated_scenario_and_leaves_the_original() -> None:
    # The story: one crew installs the two lots of 7 racks one after the other (accepted
    # Feb 20 and Feb 27). With two crews both lots install at once, from Feb 10: installed
    # Feb 17, burnt in by Feb 20, and the contract's 14 racks are delivered that day.
    base = scenario_from(STORY)
    two = base.with_overrides({"sites.s.crews.count": 2})
    assert base.sites["s"].crews.count == 1
    assert two.sites["s"].crews.count == 2
    assert delivered(sim.run(base)) == ["2026-02-27"]
    assert delivered(sim.run(two)) == ["2026-02-20"]
    # numpy's numbers (a sweep over np.arange) are taken as Python's
    assert base.with_overrides({"sites.s.crews.count": np.int64(2)}) == two
    assert base.with_overrides({}) == base
    moved = base.with_overrides({"deliveries.d.tranches[0].date": dt.date(2026, 2, 1)})
    assert moved.deliveries["d"].tranches[0].date == dt.date(2026, 2, 1)


def test_with_overrides_matches_the_same_variant_loaded_from_the_file() -> None:
    path = SCENARIOS / "iren_childress.yaml"
    by_variant = sim.load(path, variant="one_crew_fewer")
    by_override = sim.load(path).with_overrides({"sites.childress.crews.count": 5})
    assert by_override.model_dump() == by_variant.model_dump()


def test_with_overrides_reports_located_errors() -> None:
    base = scenario_from(STORY)
    with pytest.raises(ScenarioError) as bad:
        base.with_overrides({"sites.s.crews.count": "abc"})
    assert str(bad.value).splitlines() == [
        "overrides['sites.s.crews.count']: expected a number (got str 'abc'); write a plain "
        "number; units belong in the key name (`it_mw: 50`, not `50 MW`)",
        "1 problem found.",
    ]
    with pytest.raises(ScenarioError) as unknown:
        base.with_overrides({"sites.s.crew.count": 2, "platforms.p.burn_in": "-3d"})
    assert [str(p) for p in unknown.value.problems] == [
        "overrides['sites.s.crew.count']: `sites.s.crew.count` does not exist; did you mean "
        "`crews`?"
    ]
    with pytest.raises(ScenarioError, match=r"overrides\['variants.x'\]: an override cannot"):
        base.with_overrides({"variants.x": 1})


def test_variants_combine_in_order_and_record_who_set_what() -> None:
    both = load_text(TEXT, "s.yaml", variant=["three_crews", "late_vendor"])
    assert both.variant == "three_crews+late_vendor"
    assert both.variants == ["three_crews", "late_vendor"]
    assert both.scenario.sites["north"].crews.count == 3
    assert both.scenario.deliveries["vendor"].slip == 10.0
    assert [o.as_dict() for o in both.overrides] == [
        {"path": "sites.north.crews.count", "old": 2, "new": 3, "by": "variant three_crews"},
        {
            "path": "deliveries.vendor.slip",
            "old": "(default)",
            "new": "10d",
            "by": "variant late_vendor",
        },
    ]
    same = load_text(TEXT, "s.yaml", variant=["three_crews", "also_three"])  # same value: fine
    assert same.scenario.sites["north"].crews.count == 3
    assert (
        sim.load(SCENARIOS / "iren_childress.yaml", ["one_crew_fewer", "dell_60d_late"])
        .sites["childress"]
        .crews.count
        == 5
    )


def test_two_variants_setting_one_key_differently_is_an_error_naming_both() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_text(TEXT, "s.yaml", variant=["three_crews", "four_crews"])
    assert [str(p) for p in exc.value.problems] == [
        f"s.yaml:{FOUR_CREWS_LINE}: variants.four_crews.sites.north.crews.count: variant "
        "four_crews sets `sites.north.crews.count` to 4 but variant three_crews sets "
        "`sites.north.crews.count` to 3; combine variants that change different keys, or choose "
        "the value with --set sites.north.crews.count=VALUE"
    ]


def test_a_set_is_applied_last_and_wins_over_the_variants() -> None:
    loaded = load_text(
        TEXT, "s.yaml", variant="three_crews", overrides=[parse_set("sites.north.crews.count=5")]
    )
    assert loaded.scenario.sites["north"].crews.count == 5
    assert [(o.old, o.new, o.by) for o in loaded.overrides] == [
        (2, 3, "variant three_crews"),
        (3, 5, "--set"),
    ]


def test_set_values_are_yaml() -> None:
    assert parse_set("deliveries.d.tranches[0].date=2026-02-01").value == dt.date(2026, 2, 1)
    assert parse_set("a.b={triangular: [0d, 14d, 60d]}").value == {
        "triangular": ["0d", "14d", "60d"]
    }
    assert parse_set(" a.b = 5").key == "a.b"
    with pytest.raises(ScenarioError, match=r"--set a\.b: expected PATH=VALUE"):
        parse_set("a.b")
    for empty in ("a.b=", "a.b=  "):
        with pytest.raises(ScenarioError) as caught:
            parse_set(empty)
        assert str(caught.value.problems[0]) == (
            f"--set {empty}: no value given; give one after the `=`: --set a.b=VALUE"
        )


def test_cli_set_bad_value_exits_2_with_the_override_named() -> None:
    result = dcsim("run", EXAMPLE, "--set", "sites.north.crews.count=abc")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "--set sites.north.crews.count=abc: expected a number (got str 'abc'); write a plain "
        "number; units belong in the key name (`it_mw: 50`, not `50 MW`)",
        "1 problem found.",
    ]
    assert result.stdout == ""


def test_cli_set_unknown_path_suggests_the_key() -> None:
    result = dcsim("compare", EXAMPLE, EXAMPLE, "--set", "sites.nort.crews.count=3")
    assert result.returncode == 2
    assert (
        "--set sites.nort.crews.count=3: `sites.nort.crews.count` does not exist; did you "
        "mean `north`?" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_cli_set_is_recorded_in_overrides_json_and_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = dcsim("run", EXAMPLE, "--set", "sites.north.crews.count=4", "--out", out)
    assert result.returncode == 0, result.stderr
    expected = [{"path": "sites.north.crews.count", "old": 2, "new": 4, "by": "--set"}]
    assert json.loads((out / "overrides.json").read_text()) == expected
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["overrides"], manifest["variant"], manifest["variants"]) == (
        expected,
        None,
        [],
    )
    assert (
        json.loads((out / "summary.json").read_text())
        == sim.run(sim.load(EXAMPLE).with_overrides({"sites.north.crews.count": 4})).summary
    )


def test_cli_combined_variants_and_their_conflict(tmp_path: Path) -> None:
    file = tmp_path / "v.yaml"
    file.write_text(TEXT)
    out = tmp_path / "both"
    ok = dcsim("run", file, "--variant", "three_crews", "--variant", "late_vendor", "--out", out)
    assert ok.returncode == 0, ok.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["variant"] == "three_crews+late_vendor"
    assert manifest["variants"] == ["three_crews", "late_vendor"]
    assert [o["by"] for o in manifest["overrides"]] == [
        "variant three_crews",
        "variant late_vendor",
    ]
    clash = dcsim("run", file, "--variant", "three_crews", "--variant", "four_crews")
    assert clash.returncode == 2
    assert (
        f"{file}:{FOUR_CREWS_LINE}: variants.four_crews.sites.north.crews.count: variant "
        "four_crews sets `sites.north.crews.count` to 4 but variant three_crews sets"
    ) in clash.stderr
    assert not (tmp_path / "results").exists()


def test_cli_compare_applies_a_set_to_every_run(tmp_path: Path) -> None:
    file = tmp_path / "v.yaml"
    file.write_text(TEXT)
    out = tmp_path / "cmp"
    result = dcsim(
        "compare",
        file,
        "--variants",
        "late_vendor",
        "--set",
        "sites.north.crews.count=3",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    recorded = json.loads((out / "overrides.json").read_text())
    assert [o["by"] for o in recorded["base"]] == ["--set"]
    assert [o["by"] for o in recorded["late_vendor"]] == ["variant late_vendor", "--set"]
