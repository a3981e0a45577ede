"""Figures: the shared style (`style`), the run's plots (`run`), Monte Carlo bands (`bands`)
and comparisons (`comparison`)."""
