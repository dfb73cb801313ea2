"""Dated simulations: changes of inputs that take effect at a date (the seeds' ModelingUpdate with a
simulation_date). Every hourly result is the baseline's before the date and the changed model's from it on;
diffs compare two results object by object."""
from __future__ import annotations


from datetime import datetime

import polars as pl

from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.sweeps import parse_grid, variant_model
from efp_tables.tables.model import Model

_KEY = ["object_class", "object_id", "attribute", "key_id", "hour"]


def changed_model(model: Model, changes: dict) -> Model:
    """The model with inputs replaced: {"OBJECT_ID.attribute": value, ...}, checked like a sweep's grid
    (structural changes included: "JOB.server": "OTHER_SERVER_ID", ...)."""
    if not isinstance(changes, dict) or not changes:
        raise ModelError("simulation", "changes", changes, 'a non-empty {"OBJECT_ID.attribute": value} object')
    return variant_model(model, parse_grid(model, {"variants": [changes]}), 0)


def simulate(model: Model, changes: dict, from_date: datetime) -> pl.DataFrame:
    """The long results table of the simulation: hourly rows before `from_date` from the baseline, from it on
    from the changed model; scalars are the changed model's (its inputs from the date on)."""
    if not isinstance(from_date, datetime):
        raise ModelError("simulation", "from_date", from_date, "a datetime (UTC hour)")
    baseline = compute(model).long()
    changed = compute(changed_model(model, changes)).long()
    return splice(baseline, changed, from_date)


def splice(baseline: pl.DataFrame, changed: pl.DataFrame, from_date: datetime) -> pl.DataFrame:
    """Hourly rows of `baseline` before the date and of `changed` from it on (scalars and empties: `changed`'s)."""
    moment = pl.lit(from_date, dtype=pl.Datetime("us"))
    return pl.concat([
        baseline.filter(pl.col("hour") < moment),
        changed.filter(pl.col("hour").is_null() | (pl.col("hour") >= moment)),
    ])


def emission_diffs(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Per object and hour, the change of each footprint (kg) between two long results tables, for the
    footprints that make the system total (the seeds' emission diffs). Hours missing on one side count as 0."""
    footprints = pl.col("attribute").is_in(["instances_manufacturing_footprint", "use_footprint"]) & (
        pl.col("key_id") == "") & (pl.col("kind") == "hourly") & (pl.col("object_class") != "System")
    keys = [*_KEY, "object_name"]
    left = before.filter(footprints).select(*keys, pl.col("value").alias("before_kg"))
    right = after.filter(footprints).select(*keys, pl.col("value").alias("after_kg"))
    return (left.join(right, on=keys, how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("before_kg", "after_kg").fill_null(0.0))
            .with_columns(delta_kg=pl.col("after_kg") - pl.col("before_kg"))
            .sort(*keys))


def diff_summary(diffs: pl.DataFrame) -> pl.DataFrame:
    """Totals over all hours of `emission_diffs`, by object and phase, biggest changes first."""
    return (diffs.group_by("object_class", "object_id", "object_name", "attribute")
            .agg(pl.col("before_kg", "after_kg", "delta_kg").sum())
            .sort(pl.col("delta_kg").abs(), descending=True))



