"""Fixtures shared by the test modules (helpers live in `tests/helpers.py`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.helpers import STORY


@pytest.fixture
def story() -> dict[str, Any]:
    return copy.deepcopy(STORY)
