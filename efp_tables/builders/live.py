"""Changes on a computed System, as in the seeds' notebook: assignments recorded in order, batches of changes
checked together before any is made (efootprint's ModelingUpdate), and dated simulations whose values can be
shown on the objects and then reset to the baseline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from efp_tables.builders.time_series import HourlySeries
from efp_tables.errors import ModelError


def described(value) -> str:
    """A short text for an input value: objects by id, lists and dicts of objects by their ids."""
    if hasattr(value, "label") and hasattr(value, "id"):
        return value.id
    if isinstance(value, HourlySeries):
        return f"{len(value):,} hourly values from {value.start:%Y-%m-%d %H:%M}, total {value.sum():,.0f}"
    magnitude = getattr(value, "magnitude", None)
    if getattr(magnitude, "ndim", 0) == 1:  # a weekly profile as a pint Quantity of 168 values
        return f"{magnitude.size} weekly values from {magnitude.min():g} to {magnitude.max():g} {value.units}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{described(k)}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(described(v) for v in value) + "]"
    return "no value" if value is None else str(value)


def unchanged(old, new) -> bool:
    """Whether an assignment leaves an input as it was (same text or number, same objects in the same order)."""
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(a is b for a, b in zip(old, new))
    return isinstance(old, (str, int, float)) and type(old) is type(new) and old == new


@dataclass(frozen=True)
class Change:
    obj: Any
    attribute: str
    old: Any
    new: Any


class TrackedList(list):
    """A list input (`journey.uj_steps`) whose in-place changes (`append`, `remove`, ...) are checked and
    recorded as assignments of the whole list, as efootprint's lists linked to their object."""

    def __init__(self, owner, attribute: str, items):
        super().__init__(items)
        self.owner, self.attribute = owner, attribute


def _in_place(name: str):
    method = getattr(list, name)

    def changed(self, *args, **kwargs):
        before, proposed = list(self), list(self)
        getattr(proposed, name)(*args, **kwargs)
        self.owner._check_input(self.attribute, proposed)
        result = method(self, *args, **kwargs)
        if not unchanged(before, self):
            self.owner._record(self.attribute, before, list(self))
        return result
    changed.__name__ = name
    return changed


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__",
              "__delitem__", "__iadd__"):
    setattr(TrackedList, _name, _in_place(_name))


def _checked(changes) -> list[tuple[Any, str, Any]]:
    """[(object, attribute, value), ...] checked as a whole: units, links and allowed values (with the batch's
    other values of the same object, so that e.g. provider and instance_type can change together)."""
    if not isinstance(changes, (list, tuple)) or not changes:
        raise ModelError("ModelingUpdate", "changes", changes, "a non-empty list of (object, attribute, value)")
    batch = []
    for change in changes:
        if not (isinstance(change, (list, tuple)) and len(change) == 3 and hasattr(change[0], "_check_input")):
            raise ModelError("ModelingUpdate", "change", change, "an (object, attribute, value) triple")
        obj, attribute, value = change
        if attribute not in obj.input_names():
            raise ModelError(obj.label, attribute, value, f"one of the inputs {sorted(obj.input_names())}")
        obj._check_input(attribute, value)
        batch.append((obj, attribute, value))
    proposed: dict[int, dict] = {}
    for obj, attribute, value in batch:
        proposed.setdefault(id(obj), {})[attribute] = value
    for obj in {id(o): o for o, _, _ in batch}.values():
        obj._check_choices(proposed[id(obj)])
    return batch


class ModelingUpdate:
    """Change several inputs at once: `ModelingUpdate([(server, "average_carbon_intensity", "50 g/kWh"),
    (journey, "uj_steps", [step_1, step_2])])`. Every change is checked before any is made; the changes are then
    recorded in order by the computed Systems of the objects, which recompute once.

    With `simulation_date`, nothing changes on the System: the update is a `Simulation` of the changes from
    that date on (`.simulation`), whose values `set_updated_values()` shows on the objects."""

    def __init__(self, changes, simulation_date: datetime | None = None):
        self.changes = _checked(changes)
        self.simulation = None
        if simulation_date is None:
            for obj, attribute, value in self.changes:
                obj._set_input(attribute, value, check_choices=False)
            return
        systems = {id(s): s for obj, _, _ in self.changes for s in obj._systems}
        if len(systems) != 1:
            raise ModelError("ModelingUpdate", "changes", [described(o) for o, _, _ in self.changes],
                             f"objects of one computed System for a simulation (found {len(systems)})")
        self.simulation = Simulation(next(iter(systems.values())), self.changes, simulation_date)

    def set_updated_values(self) -> None:
        self._simulation().set_updated_values()

    def reset_values(self) -> None:
        self._simulation().reset_values()

    def _simulation(self) -> Simulation:
        if self.simulation is None:
            raise ModelError("ModelingUpdate", "simulation_date", None, "a simulation date for a simulation")
        return self.simulation


class Simulation:
    """Changes that take effect at `from_date` on a computed System: `long` is the simulated long results table
    (the baseline's hours before the date, the changed System's from it on), `baseline` the System's own.
    The System itself is unchanged, except between `set_updated_values()` and `reset_values()`, when its objects
    show the changed inputs and the simulated values."""

    def __init__(self, system, changes, from_date: datetime):
        from efp_tables.simulations import splice
        if not isinstance(from_date, datetime):
            raise ModelError(system.label, "simulation from_date", from_date, "a datetime (UTC hour)")
        self.system, self.changes, self.from_date = system, _checked(changes), from_date
        self.baseline = system.results_long()
        self.previous = [(obj, attribute, obj.__dict__.get(attribute)) for obj, attribute, _ in self.changes]
        self._apply(self.changes)
        try:
            results, self._objects = system._computed()
        finally:
            self._apply(self.previous)
        self.long = splice(self.baseline, results.long(), from_date)
        self.updated = False

    def _apply(self, changes) -> None:
        for obj, attribute, value in changes:
            obj._set_input(attribute, value, check_choices=False, record=False)

    def set_updated_values(self) -> None:
        """Show the changed inputs and the simulated values on the System's objects."""
        self._apply(self.changes)
        self.system._show(self.long, self._objects.values())
        self.updated = True

    def reset_values(self) -> None:
        """Back to the baseline inputs and values."""
        self._apply(self.previous)
        self.system._show(self.baseline, ())
        self.updated = False

    def values_of(self, obj) -> dict:
        """The simulated calculated attributes of one object, whether or not they are shown."""
        return obj._values_from(self.long.filter(pl.col("object_id") == obj.id))

    def emission_diffs(self) -> pl.DataFrame:
        from efp_tables.simulations import emission_diffs
        return emission_diffs(self.baseline, self.long)

    def __repr__(self) -> str:
        def total(long: pl.DataFrame) -> float:
            return long.filter(pl.col("attribute") == "total_footprint")["value"].sum()
        changes = "; ".join(f"{obj.label}.{attribute} = {described(value)}" for obj, attribute, value in self.changes)
        return (f"Simulation from {self.from_date:%Y-%m-%d %H:%M} of {changes}: total footprint "
                f"{total(self.long):,.0f} kg (baseline {total(self.baseline):,.0f} kg)"
                f"{', shown on the objects' if self.updated else ''}")
