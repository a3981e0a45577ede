"""Argument types shared by the command line's parsers (`sim.cli`, `sim.cli_workbench`)."""

from __future__ import annotations

import argparse

from sim.montecarlo import SEED_MAX


def positive(text: str) -> int:
    """A whole number of at least 1 (replications, jobs, trials)."""
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {text})")
    return value


def seed(text: str) -> int:
    """A root random seed: a whole number from 0 to `SEED_MAX`."""
    value = non_negative(text)
    if value > SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be at most 2**64 - 1 = {SEED_MAX} (got {text})")
    return value


def non_negative(text: str) -> int:
    """A whole number of at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number (got {text!r})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative (got {text})")
    return value
