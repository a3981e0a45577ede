"""The resolved scenario's YAML writer: the same text as PyYAML's safe dumper, for any plain
data (texts that read as other types when unquoted, every kind of float, data that appears
twice and so gets an anchor), and for the resolved scenarios of the shipped files."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.outputs.yamltext import yaml_text
from sim.scenario.loader import load
from tests.helpers import SCENARIOS

SAFE: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def pyyaml(data: Any) -> str:
    text: str = yaml.dump(data, Dumper=SAFE, sort_keys=False, allow_unicode=True)
    return text


TRICKY_TEXT = [
    "",
    "yes",
    "No",
    "null",
    "~",
    "1e3",
    "0x1F",
    "2026-01-01",
    ".inf",
    "- a",
    "a: b",
    "#c",
    "'q'",
    '"d"',
    "ünï",
    "tab\there",
    "line\nbreak",
    " lead",
    "trail ",
    "007",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e16, 1e-7, 2.5e300, 123456789.0]),
    st.text(max_size=8),
    st.sampled_from(TRICKY_TEXT),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(DATA)
def test_any_plain_data_dumps_as_pyyaml_dumps_it(data: Any) -> None:
    assert yaml_text(data) == pyyaml(data)


def test_data_that_appears_twice_gets_the_same_anchor() -> None:
    shared = {"mw": 200, "energized": "2026-01-01"}
    data = {"a": [shared, shared], "b": shared, "when": "2026-01-01", "n": [1.0, -0.0, 1e20]}
    text = yaml_text(data)
    assert text == pyyaml(data)
    assert "&id001" in text
    assert "'2026-01-01'" in text  # quoted: it would read back as a date
    assert "1.0e+20" in text


@pytest.mark.parametrize("name", ["example", "portfolio", "iren_childress_2026-06-30"])
def test_a_resolved_scenario_dumps_as_before(name: str) -> None:
    resolved = load(SCENARIOS / f"{name}.yaml").model_dump(mode="json", exclude_none=True)
    assert yaml_text(resolved) == pyyaml(resolved)
