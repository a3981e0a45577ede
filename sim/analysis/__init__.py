"""Analysis: the engine's records -> dated tables (timeline, money) -> KPIs.

numpy and pandas only; nothing here runs SimPy or draws.
"""
