"""The planner's workbench: sweeps of key-path values (`sweep`) and searches for the best
values under constraints (`search`), over a design space (`space`), each point run on common
random numbers (`evaluate`). Between `compare` and `outputs` in the pipeline: it runs
scenarios and returns tables; writing and drawing them is `sim.outputs`' job."""
