"""The README's notebook example runs as written, and its tables are what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import ROOT


def notebook_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("From a notebook (this example runs as a test")
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, "README: no python block after 'From a notebook'"
    return match.group(1)


def test_the_readme_notebook_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    names: dict[str, object] = {}
    exec(compile(notebook_example(), "README.md", "exec"), names)
    monthly = names["monthly"]
    assert isinstance(monthly, pd.DataFrame)
    assert isinstance(monthly.index, pd.DatetimeIndex)
    assert list(monthly.columns) == ["revenue_usd", "gpus_online"]
    site = names["site"]
    assert isinstance(site, pd.DataFrame)
    assert monthly["revenue_usd"].sum() == pytest.approx(site["revenue_usd"].sum(), rel=1e-12)
    table = names["comparison"].table.set_index("variant")  # type: ignore[attr-defined]
    assert list(table.index) == ["6 crews", "4 crews"]
    assert table.loc["6 crews", "revenue_usd.delta"] == 0
    assert (tmp_path / "results" / "childress-4-crews" / "timeline.csv").exists()
    assert "4 crews" in capsys.readouterr().out
