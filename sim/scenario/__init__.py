"""Scenario input: a YAML file -> a validated, immutable `Scenario`.

The first stage of the pipeline. It reads files line-aware (`yamlsource`), composes imports
(`imports`), applies variants (`variants`), validates against the strict schema (`schema/`,
`validation`) and checks what a schema cannot (`checks`), reporting every problem at once with
its file and line. Nothing here knows about the engine or any output.
"""

# `Scenario.with_overrides` validates through the loader, which imports the schema; the
# package, imported before any of its modules, connects the two (the schema stays the
# bottom of the stage, with no import cycle).
from sim.scenario.loader import with_overrides
from sim.scenario.schema.scenario import bind_overrides

bind_overrides(with_overrides)
