"""Fixtures shared by the test modules (helpers live in `tests/helpers.py`)."""

from __future__ import annotations

import copy
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import STORY


@pytest.fixture
def story() -> dict[str, Any]:
    return copy.deepcopy(STORY)


@pytest.fixture(autouse=True)
def signal_handlers_kept() -> Iterator[None]:
    """`sim.cli.main` called in the test process installs its SIGINT and SIGTERM handlers;
    the next test gets pytest's back."""
    kept = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGINT, kept[0])
    signal.signal(signal.SIGTERM, kept[1])
