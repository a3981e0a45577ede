"""Outputs: everything that writes files or draws. Reads `Result` and `Comparison` tables;
nothing below this package knows it exists."""
