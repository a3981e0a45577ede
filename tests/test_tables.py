"""The tables a run returns: dates as datetime64 (pandas' time-series tools work on them),
while the files keep ISO dates; `sim.compare` is exported."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim
from sim.outputs.files import as_dates
from tests.helpers import STORY, scenario_from

DATETIME = "datetime64[ns]"


def test_result_tables_have_datetime_dates_that_resample() -> None:
    result = sim.run(scenario_from(STORY))
    for table in (result.timeline, result.contracts, result.events):
        assert str(table["date"].dtype) == DATETIME
    # Racks are online from February (the story); by month, flows add up to the same total
    # and levels are read at the month's end.
    site = result.timeline[result.timeline["site"] == "s"].set_index("date")
    monthly = site.resample("ME").agg({"revenue_usd": "sum", "racks_online": "last"})
    assert monthly.index[1] == pd.Timestamp("2026-02-28")
    assert monthly.loc["2026-02-28", "racks_online"] == 14
    assert monthly.loc["2026-01-31", "revenue_usd"] == 0
    assert monthly["revenue_usd"].sum() == pytest.approx(site["revenue_usd"].sum(), rel=1e-12)
    delivered = result.events[result.events["milestone"] == "delivered"]
    assert list(delivered["date"]) == [pd.Timestamp("2026-02-27")]


def test_monte_carlo_tables_have_datetime_dates() -> None:
    mc = sim.run(scenario_from(STORY), replications=3, seed=1).monte_carlo
    assert mc is not None
    assert str(mc.percentiles["date"].dtype) == DATETIME
    for column in ("due", "p10", "p50", "p90"):
        assert str(mc.on_time[column].dtype) == DATETIME
    assert mc.on_time.loc[0, "due"] == pd.Timestamp("2026-03-01")
    assert mc.replications["c.full_delivery"].dtype.kind == "M"


def test_the_files_keep_iso_dates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = sim.write_run(sim.run(scenario_from(STORY), replications=3, seed=1), tmp_path / "r")
    assert (folder / "events.csv").read_text().splitlines()[1].startswith("2026-01-01,")
    assert (folder / "timeline.csv").read_text().splitlines()[1].startswith("2026-01-01,")
    assert pq.read_schema(folder / "timeline.parquet").field("date").type == pa.date32()
    assert pq.read_schema(folder / "percentiles.parquet").field("date").type == pa.date32()
    on_time = (folder / "on_time.csv").read_text().splitlines()
    assert on_time[1].startswith("c,1,2026-03-01,")


def test_as_dates_turns_nat_into_an_empty_cell() -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(["2026-01-02", None]).astype(DATETIME), "x": [1, 2]})
    assert as_dates(frame).to_csv(index=False) == "d,x\n2026-01-02,1\n,2\n"
    assert str(frame["d"].dtype) == DATETIME  # the frame given is unchanged


def test_compare_is_exported_as_the_function() -> None:
    import sim.compare as module  # noqa: F401 - importing the module must not shadow it
    from sim.compare import compare

    assert sim.compare is compare
    assert "compare" in sim.__all__
    assert all(hasattr(sim, name) for name in sim.__all__)
