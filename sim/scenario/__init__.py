"""Scenario input: a YAML file -> a validated, immutable `Scenario`.

The first stage of the pipeline. It reads files line-aware (`yamlsource`), composes imports
(`imports`), applies variants (`variants`), validates against the strict schema (`schema/`,
`validation`) and checks what a schema cannot (`checks`), reporting every problem at once with
its file and line. Nothing here knows about the engine or any output.
"""
