"""Monte Carlo: replications of a scenario with drawn inputs, run on an executor and
aggregated into percentile bands, on-time probabilities and drivers."""

SEED_MAX = 2**64 - 1
"""The largest root seed: a seed is stored as an unsigned 64-bit integer (replications.parquet)."""

MAX_REPLICATIONS = 1_000_000
"""The most replications a run takes: each one's KPIs are kept for replications.parquet, and
a million take about an hour on two cores. More was a list of every index, then an internal
error (MemoryError)."""
