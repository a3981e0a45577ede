"""Calibration: reference-class records, priors fitted to them, and forecast scoring.

Sits between the scenario (which resolves `{prior: NAME}` from the library this package
generates) and the engine; it reads results folders as plain files, never the engine.
"""
