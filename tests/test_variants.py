"""Variants: overrides by key path, applied and recorded exactly, errors located."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import load_text
from sim.scenario.variants import parse_path
from tests.helpers import SCENARIOS

EXAMPLE = (SCENARIOS / "example.yaml").read_text()


def with_variants(block: str) -> str:
    return EXAMPLE + "\nvariants:\n" + block


def test_parse_path() -> None:
    assert parse_path("deliveries.dell.tranches[2].date") == (
        "deliveries",
        "dell",
        "tranches",
        2,
        "date",
    )
    assert parse_path("sites.childress.crews.count") == ("sites", "childress", "crews", "count")
    for bad in ["", "a..b", "a.[1]", "a b", "a.b[x]", "[0]"]:
        assert parse_path(bad) is None, bad


def test_overrides_are_applied_and_recorded_old_to_new() -> None:
    text = with_variants(
        "  faster:\n"
        "    sites.north.crews.count: 4\n"
        "    deliveries.vendor.tranches[1].date: 2026-09-15\n"
        "    deliveries.vendor.slip: 10d\n"
    )
    base = load_text(text)
    variant = load_text(text, variant="faster")
    assert base.scenario.sites["north"].crews.count == 2
    assert variant.scenario.sites["north"].crews.count == 4
    assert variant.scenario.deliveries["vendor"].tranches[1].date == dt.date(2026, 9, 15)
    assert variant.scenario.deliveries["vendor"].slip == 10.0
    assert [o.as_dict() for o in variant.overrides] == [
        {"path": "sites.north.crews.count", "old": 2, "new": 4, "by": "variant faster"},
        {
            "path": "deliveries.vendor.tranches[1].date",
            "old": "2026-10-01",
            "new": "2026-09-15",
            "by": "variant faster",
        },
        {
            "path": "deliveries.vendor.slip",
            "old": "(default)",
            "new": "10d",
            "by": "variant faster",
        },
    ]
    assert variant.variant == "faster"
    assert base.overrides == []


def errors(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "s.yaml")
    return [str(p) for p in exc.value.problems]


def test_an_override_of_a_key_that_does_not_exist_is_located() -> None:
    line = EXAMPLE.count("\n") + 4
    assert errors(with_variants("  v:\n    sites.nort.crews.count: 4\n")) == [
        f"s.yaml:{line}: variants.v.sites.nort.crews.count: `sites.nort.crews.count` does "
        "not exist; did you mean `north`?"
    ]
    assert errors(with_variants("  v:\n    deliveries.vendor.tranches[5].date: 2026-01-01\n")) == [
        f"s.yaml:{line}: variants.v.deliveries.vendor.tranches[5].date: "
        "`deliveries.vendor.tranches[5].date` does not exist: deliveries.vendor.tranches has "
        "2 items; use an index from 0 to 1"
    ]
    assert errors(with_variants("  v:\n    sites.north.crews.cnt: 4\n")) == [
        f"s.yaml:{line}: variants.v.sites.north.crews.cnt: `sites.north.crews.cnt` does not "
        "exist; did you mean `count`?"
    ]


def test_a_bad_override_value_is_reported_at_the_override() -> None:
    line = EXAMPLE.count("\n") + 4
    assert errors(with_variants("  v:\n    sites.north.crews.count: -1\n")) == [
        f"s.yaml:{line}: sites.north.crews.count: must be > 0 (got -1); change the value"
    ]


def test_every_variant_is_validated_and_unknown_variants_named() -> None:
    text = with_variants(
        "  ok:\n    sites.north.crews.count: 3\n  broken:\n    sites.north.crews.count: 0\n"
    )
    assert len(errors(text)) == 1
    with pytest.raises(ScenarioError, match="no variant `fastr`; did you mean `faster`"):
        load_text(with_variants("  faster:\n    sites.north.crews.count: 3\n"), variant="fastr")


def test_shipped_variants_exist() -> None:
    from sim.scenario.loader import load_all

    iren = load_all(SCENARIOS / "iren_childress.yaml")
    assert any(v and "dell" in v for v in iren)
    assert {"one_crew_fewer", "horizons_3_4_in_parallel"} <= set(iren)
    assert {"aws_phase_2_early", "colchis_year_late"} <= set(load_all(SCENARIOS / "cipher.yaml"))
    portfolio = load_all(SCENARIOS / "portfolio.yaml")
    assert len(portfolio) == 6  # the base and the five inherited variants
