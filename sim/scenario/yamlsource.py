"""Read a YAML file safely into plain Python data, remembering the line of every key path.

Safety rules: only YAML's standard scalar and collection tags are accepted (no Python object
tags, no custom tags), duplicate keys are errors (PyYAML would keep the last one silently),
keys must be text, alias expansion is bounded (no "billion laughs"), and nesting depth is
bounded. Every problem is reported with its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import PathKey, Problem, ScenarioError, render_path

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_VALUES = 200_000
"""Values a document may expand to, or one per byte of its text if that is more: aliases
cannot blow a small file up (no "billion laughs"), while a large portfolio written out
(10,000 sites are about 550,000 values in 7 MB) reads whole. Within `MAX_FILE_BYTES`, so
never more than about ten million values."""
MAX_DEPTH = 40

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe parser where PyYAML has it (a tenth of the pure-Python one's time)."""


@dataclass
class YamlSource:
    """Plain data read from a file (and the files it imports), with the line (1-based) of
    each key path and, where it is not ``file``, the file it came from."""

    file: str
    data: Any
    lines: dict[PathKey, int | None] = field(default_factory=dict)
    """The line of each key path; None for a value set from elsewhere (``--set``)."""
    origin: dict[PathKey, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    """The text of every file read, by name (for hashing the inputs of a run)."""

    def locate(self, path: PathKey) -> tuple[str, int | None]:
        """File and line of the longest prefix of ``path`` that appears in the sources."""
        for end in range(len(path), -1, -1):
            prefix = tuple(path[:end])
            if prefix in self.lines:
                return self.origin.get(prefix, self.file), self.lines[prefix]
        return self.file, None

    def line_of(self, path: PathKey) -> int | None:
        return self.locate(path)[1]


def read_text(path: Path) -> str:
    """The file's text, or a located error for a missing, binary or non-UTF-8 file."""
    name = str(path)
    if not path.exists():
        raise ScenarioError([Problem(name, None, "(file)", "no such file", "check the path")])
    if path.is_dir():
        raise ScenarioError(
            [Problem(name, None, "(file)", "is a directory", "give a scenario .yaml file")]
        )
    if not path.is_file():  # a pipe would be waited on for ever; a device read without end
        raise ScenarioError(
            [
                Problem(
                    name,
                    None,
                    "(file)",
                    "is not a regular file (a pipe, socket or device)",
                    "save the scenario to a .yaml file and give that",
                )
            ]
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [
                    Problem(
                        name,
                        None,
                        "(file)",
                        f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed",
                        "is this really a scenario file?",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            [Problem(name, None, "(file)", f"cannot be read ({exc.strerror})", "check permissions")]
        ) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(
            [Problem(name, None, "(file)", "the file is UTF-16 text", "save it as UTF-8")]
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name,
                    line,
                    "(file)",
                    "contains NUL bytes: a binary file, not YAML",
                    "give a scenario .yaml text file",
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name,
                    line,
                    "(file)",
                    f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
                    "save the file as UTF-8",
                )
            ]
        ) from exc


def parse_yaml(text: str, name: str) -> YamlSource:
    """Parse YAML text into plain data and a line map; all problems raised at once."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, name, text)]) from exc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name,
                    line,
                    "(syntax)",
                    f"control character U+{_code(exc.character):04X} cannot appear in a YAML file",
                    "delete it (control characters are not allowed; save the file as UTF-8 text)",
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, None, "(file)", f"YAML error: {exc}")]) from exc
    except RecursionError as exc:
        raise ScenarioError(
            [
                Problem(
                    name,
                    None,
                    "(file)",
                    "nesting is too deep to read",
                    f"keep nesting under {MAX_DEPTH} levels",
                )
            ]
        ) from exc
    if root is None:
        raise ScenarioError(
            [
                Problem(
                    name,
                    1,
                    "(file)",
                    "the file is empty (or only comments)",
                    "start from scenarios/example.yaml",
                )
            ]
        )
    builder = _Builder(name, max(MAX_VALUES, len(text)))
    data = builder.build(root, (), 0)
    if builder.problems:
        raise ScenarioError(builder.problems)
    return YamlSource(name, data, builder.lines, texts={name: text})


def _code(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str, text: str) -> Problem:
    problem = (exc.problem or "syntax error").strip()
    # An unclosed quote or bracket fails at the end of the file; point at where it opened.
    opened = "end of stream" in problem and exc.context_mark is not None
    mark = exc.context_mark if opened else (exc.problem_mark or exc.context_mark)
    line = mark.line + 1 if mark is not None else None
    hint = "check indentation, colons and quotes near this line"
    source_lines = text.splitlines()
    if line is not None and 0 < line <= len(source_lines) and "\t" in source_lines[line - 1]:
        problem = "a tab character where YAML allows only spaces"
        hint = "indent with spaces, not tabs"
    context = f" ({exc.context.strip()})" if exc.context else ""
    return Problem(name, line, "(syntax)", f"YAML syntax error: {problem}{context}", hint)


class _Builder:
    """Turns a composed node graph into plain data, checking tags, keys and size."""

    def __init__(self, name: str, max_values: int) -> None:
        self.name = name
        self.max_values = max_values
        self.lines: dict[PathKey, int | None] = {}
        self.problems: list[Problem] = []
        self.values = 0
        self._constructor = yaml.SafeLoader("")

    def _problem(
        self,
        node: yaml.Node,
        path: PathKey,
        message: str,
        hint: str = "",
        line: int | None = None,
    ) -> None:
        line = line if line is not None else node.start_mark.line + 1
        self.problems.append(Problem(self.name, line, render_path(path), message, hint))

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.values += 1
        if self.values > self.max_values:
            if self.values == self.max_values + 1:
                self._problem(
                    node,
                    path[:1],  # the top-level key whose value expands
                    f"the document expands to more than {self.max_values} values",
                    "aliases (*name) that repeat large blocks are refused; write the data out",
                    line=self.lines.get(path[:1]),
                )
            return None
        if depth > MAX_DEPTH:
            self._problem(
                node,
                path,
                f"nesting deeper than {MAX_DEPTH} levels",
                "a scenario never needs this; check the structure",
            )
            return None
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                self._problem(
                    node,
                    path,
                    f"tag {node.tag!r} is not allowed",
                    "only plain YAML lists, mappings and scalars are accepted",
                )
                return None
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        if node.tag != f"{_TAG}map":
            self._problem(
                node,
                path,
                f"tag {node.tag!r} is not allowed",
                "only plain YAML lists, mappings and scalars are accepted",
            )
            return {}
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_TAG}merge":
                self._problem(
                    key_node,
                    path,
                    "merge keys (<<) are not supported",
                    "write the keys out, or use variants",
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != f"{_TAG}str":
                if isinstance(key_node, yaml.SequenceNode):
                    shown = "a list"
                elif isinstance(key_node, yaml.MappingNode):
                    shown = "a mapping"
                else:
                    shown = repr(key_node.value)
                self._problem(
                    key_node,
                    path,
                    f"key {shown} is not text",
                    "quote it (YAML reads yes/no/on/off as booleans and bare numbers as numbers)",
                )
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key `{key}` (first defined on line {seen[key]})",
                    "remove one of them: YAML would silently keep only the last",
                )
                continue
            seen[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key), depth + 1)
            self.lines[(*path, key)] = line
        return out

    def _scalar(self, node: yaml.Node, path: PathKey) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._problem(
                node,
                path,
                f"tag {node.tag!r} is not allowed",
                "remove the tag; scenario files hold only plain values",
            )
            return None
        # NaN and infinities pass through: the schema rejects them with the key that holds them.
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML raises ValueError, KeyError or AttributeError
            kind = node.tag.removeprefix(_TAG)
            hint = {
                "timestamp": "write an ISO date that exists, YYYY-MM-DD",
                "bool": "write true or false",
                "int": "write a whole number",
                "float": "write a number, such as 4.0e+6",
            }.get(kind, "remove the tag or fix the value")
            label = {"timestamp": "date", "bool": "boolean"}.get(kind, kind)
            reason = f" ({exc})" if isinstance(exc, ValueError) else ""
            self._problem(
                node, path, f"{node.value!r} is not a valid value for a {label}{reason}", hint
            )
            return None
