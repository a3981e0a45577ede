"""Monte Carlo: replications of a scenario with drawn inputs, run on an executor and
aggregated into percentile bands, on-time probabilities and drivers."""
