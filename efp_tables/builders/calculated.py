"""Calculated attributes of API objects, read from a computed long results table (efootprint 27 names): an
hourly series is a `ResultSeries`, a per-X dict is {key id: ResultSeries}, a scalar a pint quantity, and an
attribute without value None (efootprint's "no value")."""
from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from efp_tables.io.results_table import ATTRIBUTES, EMPTY
from efp_tables.units import Quantity


@dataclass(frozen=True)
class ResultSeries:
    """One hourly calculated attribute: `frame` has the columns hour (datetime, UTC) and value (in `unit`)."""
    label: str
    unit: str
    frame: pl.DataFrame

    def __len__(self) -> int:
        return self.frame.height

    def to_frame(self) -> pl.DataFrame:
        return self.frame

    @property
    def values(self) -> np.ndarray:
        return self.frame["value"].to_numpy()

    def sum(self) -> Quantity:
        return Quantity(float(self.frame["value"].sum()), self.unit or "dimensionless")

    def mean(self) -> Quantity:
        return Quantity(float(self.frame["value"].mean() or 0.0), self.unit or "dimensionless")

    def max(self) -> Quantity:
        return Quantity(float(self.frame["value"].max() or 0.0), self.unit or "dimensionless")

    def cumsum(self) -> ResultSeries:
        """The running total from the first hour (the seeds' `plot(cumsum=True)`)."""
        return ResultSeries(f"{self.label} (cumulative)", self.unit, self.frame.with_columns(pl.col("value").cum_sum()))

    def summary(self) -> str:
        if not len(self):
            return "no hours"
        first, last = self.frame["hour"][0], self.frame["hour"][-1]
        return (f"{len(self):,} hourly values from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}, "
                f"sum {shown(self.sum())}, mean {shown(self.mean())}")

    def __repr__(self) -> str:
        return f"{self.label}: {self.summary()}"

    def _repr_html_(self) -> str:
        return f"<b>{html.escape(self.label)}</b>: {html.escape(self.summary())}"


def shown(value) -> str:
    """A value as the reprs print it: quantities with thousands separators, None as "no value"."""
    if value is None:
        return "no value"
    if isinstance(value, ResultSeries):
        return value.summary()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Quantity):
        magnitude = float(value.magnitude)
        number = f"{magnitude:,.2f}" if 100 <= abs(magnitude) < 1e15 else f"{magnitude:.4g}"
        return f"{number} {value.units:~P}".rstrip()
    return str(value)


@cache
def calculated_attribute_names(class_name: str, table_name: str) -> tuple[str, ...]:
    """efootprint's calculated attributes that our results hold for objects of this class, in results order."""
    names = [spec.attribute for spec in ATTRIBUTES
             if spec.object_table == table_name and (spec.classes is None or class_name in spec.classes)]
    names += [attribute for table, attribute in EMPTY if table == table_name]
    return tuple(dict.fromkeys(names))


def calculated_values(object_label: str, names: tuple[str, ...], rows: pl.DataFrame | None) -> dict:
    """Each of `names` from `rows` (the object's rows of a long results table; None: no results)."""
    values: dict = dict.fromkeys(names)
    if rows is None:
        return values
    for (attribute,), part in rows.partition_by("attribute", as_dict=True, maintain_order=True).items():
        if attribute not in values:
            continue
        kind, unit = part["kind"][0], part["unit"][0]
        if kind == "empty":
            continue
        if kind == "scalar":
            values[attribute] = Quantity(float(part["value"][0]), unit or "dimensionless")
            continue
        label = f"{object_label}.{attribute}"
        by_key = {key: ResultSeries(label if key == "" else f"{label}[{key}]", unit,
                                    frame.select("hour", "value").sort("hour"))
                  for (key,), frame in part.partition_by("key_id", as_dict=True, maintain_order=True).items()}
        values[attribute] = by_key[""] if list(by_key) == [""] else by_key
    return values
