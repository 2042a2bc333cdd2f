"""The machinery of edits: reversible steps, ``Edit``, ``CompositeEdit`` (package-internal helpers
have plain names; ``mvstudio.engine.edits`` exports the public ones).

A step changes one thing by id and checks first that the project is as the edit expects::

    SetFields   clip/transition/section ``id``: fields ``before`` -> ``after``
    Splice      a private copy of ``item`` goes in at ``index`` (or comes out from there)
    SetProject  whole project fields (``analysis``, ``corrections``): ``before`` -> ``after``
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from mvstudio.engine.errors import MVError
from mvstudio.engine.model import Plan, Project

MAX_SEED = 2**31 - 1
OUT_OF_DATE = "the timeline changed since this edit was made"


class EditError(MVError):
    """The edit cannot apply to the project as it is; nothing was changed."""


class NoChange(EditError):
    """The edit would leave the project as it is (the UI may ignore it quietly)."""


# --------------------------------------------------------------------------- lookups


def plan_of(project: Project) -> Plan:
    if project.plan is None or not project.plan.clips:
        raise EditError("the project has no timeline yet")
    return project.plan


def items_of(project: Project, where: str) -> list:
    """The list a step works on: the plan's ``clips``/``transitions``, the song's ``sections``."""
    owner = project.analysis if where == "sections" else project.plan
    if owner is None:
        raise EditError(OUT_OF_DATE)
    return getattr(owner, where)


def find(items: list, item_id: str, what: str = "") -> tuple[int, Any]:
    """Index and item with ``item_id``; ``EditError`` naming the ``what`` when there is none."""
    for index, item in enumerate(items):
        if item.id == item_id:
            return index, item
    raise EditError(f"there is no {what} {item_id}" if what else OUT_OF_DATE)


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class SetFields:
    """Fields of one clip, transition or section go from ``before`` to ``after``."""

    where: str
    id: str
    before: tuple[tuple[str, Any], ...]
    after: tuple[tuple[str, Any], ...]

    def do(self, project: Project) -> None:
        _, item = find(items_of(project, self.where), self.id)
        if any(getattr(item, name) != value for name, value in self.before):
            raise EditError(OUT_OF_DATE)
        for name, value in self.after:
            setattr(item, name, copy.deepcopy(value))

    def inverse(self) -> "SetFields":
        return SetFields(self.where, self.id, self.after, self.before)


@dataclass(frozen=True)
class Splice:
    """``item`` (a private copy) goes in at ``index`` when ``insert``, else comes out from there."""

    where: str
    index: int
    item: Any
    insert: bool

    def do(self, project: Project) -> None:
        items = items_of(project, self.where)
        if self.insert:
            if self.index > len(items) or any(i.id == self.item.id for i in items):
                raise EditError(OUT_OF_DATE)
            items.insert(self.index, copy.deepcopy(self.item))
        else:
            if self.index >= len(items) or items[self.index] != self.item:
                raise EditError(OUT_OF_DATE)
            del items[self.index]

    def inverse(self) -> "Splice":
        return replace(self, insert=not self.insert)


@dataclass(frozen=True)
class SetProject:
    """Whole fields of the project (``analysis``, ``raw_analysis``, ``corrections``) are swapped:
    the current values must equal ``before``; private copies of ``after`` go in."""

    before: tuple[tuple[str, Any], ...]
    after: tuple[tuple[str, Any], ...]

    def do(self, project: Project) -> None:
        if any(getattr(project, name) != value for name, value in self.before):
            raise EditError(OUT_OF_DATE)
        for name, value in self.after:
            setattr(project, name, copy.deepcopy(value))

    def inverse(self) -> "SetProject":
        return SetProject(self.after, self.before)


def set_project(project: Project, **after: Any) -> SetProject:
    """A ``SetProject`` of the project fields that ``after`` really changes."""
    changed = {k: v for k, v in after.items() if getattr(project, k) != v}
    return SetProject(tuple((k, copy.deepcopy(getattr(project, k))) for k in changed),
                      tuple((k, copy.deepcopy(v)) for k, v in changed.items()))


def set_fields(where: str, item: Any, **after: Any) -> SetFields:
    """A ``SetFields`` of the fields of ``item`` that ``after`` really changes."""
    changed = {k: v for k, v in after.items() if getattr(item, k) != v}
    return SetFields(where, item.id, tuple((k, copy.deepcopy(getattr(item, k))) for k in changed),
                     tuple((k, copy.deepcopy(v)) for k, v in changed.items()))


def insert(where: str, index: int, item: Any) -> Splice:
    return Splice(where, index, copy.deepcopy(item), insert=True)


def remove(where: str, items: list, item: Any) -> Splice:
    return Splice(where, items.index(item), copy.deepcopy(item), insert=False)


def _all_or_nothing(steps: Iterable, forward: Callable, backward: Callable) -> None:
    """``forward`` each step; on ``EditError`` ``backward`` the done ones, newest first; raise."""
    done = []
    try:
        for step in steps:
            forward(step)
            done.append(step)
    except EditError:
        for step in reversed(done):
            backward(step)
        raise


# --------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """A named change of the project: ``apply`` does it, ``revert`` undoes it exactly."""

    label: str
    changes: tuple = ()

    def apply(self, project: Project) -> None:
        _all_or_nothing(self.changes, lambda c: c.do(project), lambda c: c.inverse().do(project))

    def revert(self, project: Project) -> None:
        undo = [c.inverse() for c in reversed(self.changes)]
        _all_or_nothing(undo, lambda c: c.do(project), lambda c: c.inverse().do(project))


@dataclass(frozen=True, init=False)
class CompositeEdit(Edit):
    """Several edits under one label: applied in order, reverted in reverse order.

    ``CompositeEdit(label, parts)`` groups edits already built one after the other;
    ``CompositeEdit.build`` builds each step against the state the previous ones leave.
    """

    parts: tuple[Edit, ...] = ()

    def __init__(self, label: str, parts: Iterable[Edit]):
        parts = tuple(parts)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "changes", tuple(c for p in parts for c in p.changes))

    @classmethod
    def build(cls, project: Project, label: str,
              *steps: Callable[[Project], Edit]) -> "CompositeEdit":
        """Build ``steps`` (``project -> Edit``) in turn; if one fails, raise and change nothing.

        Steps that would change nothing (``NoChange``) are left out.
        """
        parts: list[Edit] = []
        try:
            for step in steps:
                try:
                    part = step(project)
                except NoChange:
                    continue
                part.apply(project)
                parts.append(part)
        finally:
            for part in reversed(parts):
                part.revert(project)
        if not parts:
            raise NoChange(f"{label}: nothing to change")
        return cls(label, parts)


def make_edit(label: str, changes: Iterable) -> Edit:
    """An ``Edit`` of the ``changes`` that change something; ``NoChange`` when none does."""
    changes = tuple(c for c in changes if not (isinstance(c, (SetFields, SetProject))
                                               and not c.after))
    if not changes:
        raise NoChange(f"{label}: nothing to change")
    return Edit(label, changes)


def trial(project: Project, edit: Edit, inspect: Callable[[Project], Any]) -> Any:
    """``inspect`` the project as ``edit`` would leave it; the project is restored after."""
    edit.apply(project)
    try:
        return inspect(project)
    finally:
        edit.revert(project)
