"""Monte Carlo: replications of a scenario with drawn inputs, run on an executor and
aggregated into percentile bands, on-time probabilities and drivers."""

SEED_MAX = 2**64 - 1
"""The largest root seed: a seed is stored as an unsigned 64-bit integer (replications.parquet)."""
