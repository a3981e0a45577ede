"""Located problems in a scenario, and the exception that carries all of them at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
PathKey = tuple[str | int, ...]


def render_path(path: PathKey) -> str:
    """``("sites", "a", "grid", 0, "mw")`` -> ``"sites.a.grid[0].mw"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is, what is wrong, how to fix it."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        path = f"{self.path}: " if self.path else ""  # none: `file` says it (`--set a.b=1`)
        text = f"{where}: {path}{self.message}"
        if self.severity == "warning":
            text = f"{where}: warning: {path}{self.message}"
        if self.hint:
            text += f"; {self.hint}"
        return text


class ScenarioError(Exception):
    """A scenario that cannot be used; carries every problem found, each located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join([*(str(p) for p in self.problems), self.count()])

    def count(self, file: str | None = None) -> str:
        """The closing line: "2 problems found." (or "FILE: 2 problems found.")."""
        errors = [p for p in self.problems if p.severity == "error"]
        noun = "problem" if len(errors) == 1 else "problems"
        return f"{file + ': ' if file else ''}{len(errors)} {noun} found."


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing the valid ones."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    if not options:
        return "none are defined"
    shown = ", ".join(f"`{o}`" for o in options[:12])
    more = f" (and {len(options) - 12} more)" if len(options) > 12 else ""
    return f"valid names: {shown}{more}"


class UsageError(Exception):
    """Options, environment or setup the user has to change (bad option values, a missing
    optional package, an output folder that cannot be written); the CLI exits 2 with the
    message, never a traceback."""
