"""The run folder's CSV writer: the same bytes as pandas' ``to_csv(float_format="%.6f")``,
for every kind of value the tables hold, including the numbers where array arithmetic could
round differently from ``%`` (ties at the sixth decimal, huge and tiny magnitudes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.outputs import csvtext
from sim.outputs.csvtext import FLOAT_FORMAT, float_text, write_csv
from sim.outputs.files import as_dates
from tests.helpers import SCENARIOS, dcsim

HARD_FLOATS = [
    0.0,
    -0.0,
    1 / 128,  # exactly 0.0078125: a true tie at the seventh decimal, % rounds half to even
    3 / 128,
    -5 / 128,
    0.0000005,  # just below or above a tie, after binary rounding
    0.0000015,
    0.9999995,
    0.99999949999,
    123.4999995,
    2.5e-7,
    -1e-300,
    5e-324,
    1e300,
    -(2.0**53),
    2.0**53 - 1,
    2.0**52 + 0.5,
    9.2e18,
    613798085.93,
    -612938285.93,
    float("inf"),
    float("-inf"),
    float("nan"),
]


def pandas_bytes(frame: pd.DataFrame, tmp_path: Path) -> bytes:
    path = tmp_path / "pandas.csv"
    frame.to_csv(path, index=False, float_format="%.6f")
    return path.read_bytes()


def our_bytes(frame: pd.DataFrame, tmp_path: Path) -> bytes:
    path = tmp_path / "ours.csv"
    write_csv(frame, path)
    return path.read_bytes()


def test_a_small_table_reads_as_hand_written(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date": [dt.date(2026, 1, 1), None, dt.date(2026, 1, 15)],
            "contract": pd.array(["microsoft", 'say "hi"', "a,b"], dtype="str"),
            "tranche": pd.array([1, None, 3], dtype="Int64"),
            "revenue_usd": [1234.5, -0.004, float("nan")],
            "racks": np.array([0, -2, 7], dtype=np.int64),
        }
    )
    assert our_bytes(frame, tmp_path).decode() == (
        "date,contract,tranche,revenue_usd,racks\n"
        "2026-01-01,microsoft,1,1234.500000,0\n"
        ',"say ""hi""",,-0.004000,-2\n'
        '2026-01-15,"a,b",3,,7\n'
    )


@pytest.mark.parametrize("value", HARD_FLOATS, ids=repr)
def test_hard_numbers_format_as_percent_does(value: float) -> None:
    expected = "" if np.isnan(value) else FLOAT_FORMAT % value
    assert float_text(np.array([value])).to_pylist() == [expected]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=200))
def test_any_float_formats_as_percent_does(values: list[float]) -> None:
    expected = ["" if np.isnan(v) else FLOAT_FORMAT % v for v in values]
    assert float_text(np.array(values, dtype=float)).to_pylist() == expected


@given(
    st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=100),
    st.integers(1, 10**6),
)
def test_decimals_near_a_tie_format_as_percent_does(numerators: list[int], scale: int) -> None:
    """Values k / 2e6 (about half of them ties, the rest a hair off one after rounding to
    binary) and money in cents: where arithmetic and ``%`` could disagree."""
    values = (
        [k / 2e6 for k in numerators]
        + [k / 100 for k in numerators]
        + [k / scale for k in numerators]
    )
    expected = [FLOAT_FORMAT % v for v in values]
    assert float_text(np.array(values)).to_pylist() == expected


TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r'é;")), max_size=6)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 40))
    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HARD_FLOATS))
    dates = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)))
    return pd.DataFrame(
        {
            "date": pd.Series(draw(st.lists(dates, min_size=n, max_size=n)), dtype=object),
            "name": pd.array(
                draw(st.lists(st.one_of(st.none(), TEXT), min_size=n, max_size=n)), dtype="str"
            ),
            "count": pd.array(
                draw(
                    st.lists(
                        st.one_of(st.none(), st.integers(-(2**62), 2**62)), min_size=n, max_size=n
                    )
                ),
                dtype="Int64",
            ),
            "plain": np.array(
                draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)), dtype=np.int64
            ),
            "x": np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float),
            "y, quoted": np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float),
        }
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(frame=frames())
def test_tables_write_the_bytes_pandas_writes(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert our_bytes(frame, tmp_path) == pandas_bytes(frame, tmp_path)


def test_long_tables_are_written_in_chunks_with_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvtext, "ROWS_PER_CHUNK", 7)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "site": pd.array([f"s{i % 4}" for i in range(50)], dtype="str"),
            "v": rng.normal(0, 1e6, 50),
        }
    )
    assert our_bytes(frame, tmp_path) == pandas_bytes(frame, tmp_path)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"flag": [True, False], "x": [1.5, 2.0]}),  # bool: not formatted here
        pd.DataFrame({"mixed": [1, "a"], "x": [1.5, 2.0]}),  # numbers among text
        pd.DataFrame({"only": [1.25, float("nan")]}),  # one column: an empty row reads ""
        pd.DataFrame({"x": np.array([1.5], dtype=np.float32), "y": [1]}),
    ],
    ids=["bool", "mixed-object", "one-column", "float32"],
)
def test_other_tables_go_through_pandas_with_the_same_bytes(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    assert not csvtext.vectorizable(frame)
    assert our_bytes(frame, tmp_path) == pandas_bytes(frame, tmp_path)


def test_a_run_folder_holds_the_tables_as_pandas_writes_them(tmp_path: Path) -> None:
    """The portfolio's contract table and event log (text, dates, missing tranches, money)
    through `dcsim run`, against pandas' text of the same tables."""
    result = sim.run(SCENARIOS / "portfolio.yaml")
    folder = tmp_path / "run"
    done = dcsim("run", SCENARIOS / "portfolio.yaml", "--out", folder)
    assert done.returncode == 0, done.stderr
    for name, table in (("contracts", result.contracts), ("events", result.events)):
        assert (folder / f"{name}.csv").read_bytes() == pandas_bytes(as_dates(table), tmp_path)
