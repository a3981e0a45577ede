"""A scenario's uncertain inputs, compiled once per scenario object for `realize`.

Which inputs a replication draws, under which stream keys, through which copula factors,
conditioned on which work under way at a status update's data date, and where each value
goes: all of this depends on the scenario alone. `compiled` finds it with one walk through
the scenario, the first time a scenario object is realized, and keeps it while that object
lives (a weak reference: the program holds no part of the scenario but its distributions).
The walk visits models (field order), dicts (key order) and lists in the order the draws
are recorded in, so a replication's draws come in the same order as a full walk's.

`rebuild` then makes a replication's concrete scenario: it copies the models, dicts and
lists on the paths to the drawn values (a model with `model_copy`, updating the fields that
changed, as a full walk would) and shares every other part with the uncertain scenario. It
hands over the models it copied with the concrete scenario (`Copied`), for the plan to know
which of its parts no later replication will find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.engine.status import in_progress
from sim.engine.streams import StreamKey
from sim.identitycache import IdentityCache
from sim.scenario.schema import Scenario
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from sim.scenario.schema.site import Construction

_DISTS = (DurationDist, QuantityDist)


@dataclass(frozen=True)
class Input:
    """One uncertain input: what it draws from and with, and where its value is recorded."""

    dist: DurationDist | QuantityDist
    key: StreamKey
    """Its stream: the input's path, or ``shared.NAME`` for a shared input."""
    record: str
    """Its entry in the draws: the stream key; the path for work under way."""
    risks: tuple[StreamKey, ...]
    """One stream per risk event (``KEY/risk/I``)."""
    factors: tuple[tuple[StreamKey, float], ...] | None
    """Its copula's common factors (``factor.NAME``) and their weights; None: no copula."""
    own: float
    """The weight of its own normal in the copula."""
    spent: float | None = None
    """Work under way: the value must exceed this many days (less the value of `less`)."""
    less: int | None = None
    """Work under way whose slip is drawn given the duration: the duration's input."""


@dataclass(frozen=True)
class Node:
    """A model, dict or list that holds an input: its children that do (field name, key or
    index -> a node, or the number of an input whose value replaces a distribution)."""

    children: tuple[tuple[Any, Node | int], ...]
    every_field: bool = False
    """A construction under way: copied with every field given (as `realize` always did)."""


@dataclass(frozen=True)
class Program:
    """The inputs in drawing order, and the skeleton that takes their values (None: the
    scenario draws nothing and is its own concrete scenario)."""

    inputs: tuple[Input, ...]
    root: Node | None


_COMPILED: IdentityCache[Program] = IdentityCache()


def compiled(scenario: Scenario) -> Program:
    """The program of ``scenario`` (compiled on first use, kept while the object lives)."""
    return _COMPILED.get((scenario,), lambda: _Compiler(in_progress(scenario)).program(scenario))


@dataclass(frozen=True, eq=False)
class Copied:
    """The models `rebuild` copied in making one concrete scenario: those that hold a drawn
    value, or hold one that does. A part of the plan that reads one is built again in every
    replication, so it is not worth keeping (see `sim.engine.buildplan`). It holds the
    models themselves, so no other object can take one's id while it lives."""

    models: tuple[BaseModel, ...]
    ids: frozenset[int]
    """Their ids, for a look-up by identity (models are not hashable)."""

    def __contains__(self, model: object) -> bool:
        return id(model) in self.ids


NOTHING_COPIED = Copied((), frozenset())
"""No model copied: a scenario that draws nothing, or a plan built with no such knowledge."""


def rebuild(node: Node, original: Any, values: list[float]) -> tuple[Any, Copied]:
    """``original`` with the values of its inputs in place (only the containers on the way
    copied), and the models it copied."""
    made: list[BaseModel] = []
    out = _rebuild(node, original, values, made)
    return out, Copied(tuple(made), frozenset(map(id, made)))


def _rebuild(node: Node, original: Any, values: list[float], made: list[BaseModel]) -> Any:
    if isinstance(original, BaseModel):
        changes = {
            name: values[child]
            if isinstance(child, int)
            else _rebuild(child, getattr(original, name), values, made)
            for name, child in node.children
        }
        if node.every_field:
            changes = {n: changes.get(n, getattr(original, n)) for n in type(original).model_fields}
        model = original.model_copy(update=changes)
        made.append(model)
        return model
    copy: Any = dict(original) if isinstance(original, dict) else list(original)
    for at, child in node.children:
        copy[at] = (
            values[child] if isinstance(child, int) else _rebuild(child, original[at], values, made)
        )
    return copy


class _Compiler:
    """One walk through a scenario, collecting its inputs and the skeleton above them."""

    def __init__(self, elapsed: dict[str, float]) -> None:
        self.elapsed = elapsed
        """Path of a construction under way at the data date -> days already spent on it."""
        self.inputs: list[Input] = []
        self.keys: dict[str, StreamKey] = {}

    def program(self, scenario: Scenario) -> Program:
        root = self.visit(scenario, "")
        assert not isinstance(root, int)
        return Program(tuple(self.inputs), root)

    def visit(self, value: Any, path: str) -> Node | int | None:
        """The node (or input number) of ``value`` at ``path``; None if it draws nothing."""
        if isinstance(value, _DISTS):
            return self.add(value, path)
        if isinstance(value, Construction) and path in self.elapsed:
            return self.under_way(value, path)
        if isinstance(value, BaseModel):
            items: list[tuple[Any, Any, str]] = [
                (name, getattr(value, name), f"{path}.{name}" if path else name)
                for name in type(value).model_fields
            ]
        elif isinstance(value, dict):
            items = [(k, v, f"{path}.{k}") for k, v in value.items()]
        elif isinstance(value, list):
            items = [(i, v, f"{path}[{i}]") for i, v in enumerate(value)]
        else:
            return None
        children = []
        for at, child, child_path in items:
            found = self.visit(child, child_path)
            if found is not None:
                children.append((at, found))
        return Node(tuple(children)) if children else None

    def under_way(self, build: Construction, path: str) -> Node:
        """A construction under way at the data date: `duration` + `slip` drawn given that it
        exceeds the days already spent. The uncertainty of completion is the slip's when it
        has any: the duration is drawn as usual and the slip given that it exceeds what is
        left of the spent days; a fixed slip leaves the conditioning to an uncertain
        duration; when neither is uncertain the status caps nothing here (the engine ends
        overrun work at the data date)."""
        elapsed = self.elapsed[path]
        children: list[tuple[Any, Node | int]] = []
        for name in type(build).model_fields:  # the start (its lag and delay) draws as usual
            if name not in ("duration", "slip"):
                found = self.visit(getattr(build, name), f"{path}.{name}")
                if found is not None:
                    children.append((name, found))
        if isinstance(build.slip, _DISTS):
            if isinstance(build.duration, _DISTS):  # drawn as usual, then the slip given it
                duration = self.add(build.duration, f"{path}.duration")
                children.append(("duration", duration))
                slip = self.add(build.slip, f"{path}.slip", elapsed, duration)
            else:
                slip = self.add(build.slip, f"{path}.slip", elapsed - build.duration)
            children.append(("slip", slip))
        elif isinstance(build.duration, _DISTS):
            spent = elapsed - build.slip
            children.append(("duration", self.add(build.duration, f"{path}.duration", spent)))
        return Node(tuple(children), every_field=True)

    def add(
        self,
        dist: DurationDist | QuantityDist,
        path: str,
        spent: float | None = None,
        less: int | None = None,
    ) -> int:
        """Add the input at ``path``; its number."""
        key = f"shared.{dist.shared}" if dist.shared else path
        correlation = dist.correlation
        self.inputs.append(
            Input(
                dist=dist,
                key=self.key(key),
                record=key if spent is None else path,
                risks=tuple(self.key(f"{key}/risk/{i}") for i in range(len(dist.risk))),
                factors=None
                if correlation is None
                else tuple((self.key(f"factor.{n}"), w) for n, w in correlation.factors.items()),
                own=1.0 if correlation is None else correlation.own_weight(),
                spent=spent,
                less=less,
            )
        )
        return len(self.inputs) - 1

    def key(self, name: str) -> StreamKey:
        found = self.keys.get(name)
        if found is None:
            found = self.keys[name] = StreamKey(name)
        return found
