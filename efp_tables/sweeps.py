"""Sweeps: many variants of a model computed in one plan.

A variant is a set of input overrides `OBJECT_ID.attribute = quantity`. Parameter p of a sweep (an overridden
input) becomes the dimension column `variant_p` (the index of its value) of the input table it belongs to;
stages carry the dimensions of their inputs and join on the ones both sides have, so what does not vary is
computed once and broadcast (stages.timeline.join, parameters). Per-variant totals are combined at the end from
per-object totals, each with only its own dimensions."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from efp_tables.compute import compute_tables, stages_for
from efp_tables.errors import ModelError
from efp_tables.stages.timeline import DIMENSION, VALUE, dimensions
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model
from efp_tables.units import to_canonical

# (stage, id column, footprint column, category, phase) of every footprint that makes the system total.
FOOTPRINTS = (
    ("server_footprints", "server_id", "instances_manufacturing_footprint", "servers", "manufacturing"),
    ("server_footprints", "server_id", "use_footprint", "servers", "use"),
    ("storage_instances", "storage_id", "instances_manufacturing_footprint", "storage", "manufacturing"),
    ("network_use_footprint", "network_id", VALUE, "network", "use"),
    ("device_footprints", "device_id", "instances_manufacturing_footprint", "devices", "manufacturing"),
    ("device_footprints", "device_id", "use_footprint", "devices", "use"),
)
TOTAL_COLUMNS = [f"{category}_{phase}_kg" for _, _, _, category, phase in FOOTPRINTS]


@dataclass(frozen=True)
class Parameter:
    """One overridden input: its name as given, where it lives, and its distinct values (canonical unit)."""
    index: int
    name: str
    table: str
    id_column: str
    object_id: str
    column: str
    unit: str
    values: tuple[float, ...]
    labels: tuple[str, ...]  # the values as given, for output

    @property
    def dimension(self) -> str:
        return f"{DIMENSION}{self.index}"


@dataclass(frozen=True)
class Sweep:
    parameters: tuple[Parameter, ...]
    variants: pl.DataFrame  # variant (Int64) + one dimension column (value index) per parameter

    def __len__(self) -> int:
        return self.variants.height

    def labelled(self) -> pl.DataFrame:
        """variant, then one column per parameter with its value as given."""
        return self.variants.select("variant", *[
            pl.col(p.dimension).replace_strict(list(range(len(p.labels))), list(p.labels), return_dtype=pl.String)
            .alias(p.name) for p in self.parameters])


def _locate(model: Model, name) -> tuple[s.Table, str, s.Field]:
    if not isinstance(name, str) or "." not in name:
        raise ModelError("sweep", "parameter", name, "OBJECT_ID.attribute, e.g. 'server.average_carbon_intensity'")
    object_id, attribute = name.rsplit(".", 1)
    tables = [t for t in s.OBJECT_TABLES if object_id in set(model.table(t.name)[t.id].to_list())]
    if not tables:
        raise ModelError("sweep", "parameter", name, f"the id of an object of the model (no object {object_id!r})")
    table = tables[0]
    numeric = {f.name: f for f in table.fields if f.dtype == pl.Float64}
    if attribute not in numeric:
        raise ModelError(f"{table.object_class} {object_id!r}", "sweep parameter", attribute,
                         f"a numeric input among {sorted(numeric)}")
    return table, object_id, numeric[attribute]


def _unit_of(model: Model, table: s.Table, object_id: str, field: s.Field) -> str:
    if field.unit is not None:
        return field.unit
    row = model.table(table.name).filter(pl.col(table.id) == object_id).row(0, named=True)
    return "gpu" if row.get("server_class") == "GPUServer" or row.get("job_class") == "GPUJob" else "cpu_core"


def _check_bounds(owner: str, field: s.Field, value: float, raw) -> None:
    unit = f" {field.unit}" if field.unit else ""
    for bound, fails, text in ((field.ge, lambda b: value < b, ">="), (field.gt, lambda b: value <= b, ">"),
                               (field.le, lambda b: value > b, "<=")):
        if bound is not None and fails(bound):
            raise ModelError(owner, field.name, raw, f"a value {text} {bound}{unit}")


def parse_grid(model: Model, grid: dict) -> Sweep:
    """A grid {"OBJ.attr": [v1, v2, ...], ...} (the cartesian product in file order, numbered from 0) or
    {"variants": [{"OBJ.attr": v, ...}, ...]}. Every name, unit and value is checked before anything runs."""
    if len(model.system_ids) != 1:
        raise ModelError("sweep", "model", model.system_ids, "a model of one system")
    if not isinstance(grid, dict) or not grid:
        raise ModelError("sweep", "grid", grid, "a non-empty JSON object")
    if "variants" in grid:
        variants = grid["variants"]
        if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) and v for v in variants):
            raise ModelError("sweep", "variants", variants, "a non-empty list of non-empty {parameter: value} objects")
        names = list(dict.fromkeys(k for v in variants for k in v))
        rows = [[v.get(n) for n in names] for v in variants]
    else:
        names = list(grid)
        for name in names:
            if not isinstance(grid[name], list) or not grid[name]:
                raise ModelError("sweep", name, grid[name], "a non-empty list of values")
        rows = [list(combination) for combination in itertools.product(*(grid[n] for n in names))]
    parameters, codes = [], []
    for index, name in enumerate(names):
        table, object_id, field = _locate(model, name)
        unit, owner = _unit_of(model, table, object_id, field), f"{table.object_class} {object_id!r}"
        baseline = model.table(table.name).filter(pl.col(table.id) == object_id)[field.name][0]
        labels, values, code, parsed = [], [], [], {}
        for raw in (row[index] for row in rows):
            if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) and raw in parsed:
                code.append(parsed[raw])  # each distinct value goes through pint once
                continue
            if raw is None:  # an explicit variant may leave a parameter at its baseline
                value, label = baseline, "baseline"
            else:
                if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                    raise ModelError(owner, field.name, raw, f"a quantity in {unit}")
                value = to_canonical(raw, unit, obj=owner, attribute=field.name)
                _check_bounds(owner, field, value, raw)
                label = raw if isinstance(raw, str) else json.dumps(raw)
            if value is None:
                raise ModelError(owner, field.name, raw, f"a quantity in {unit} (it has no baseline value)")
            if value not in values:
                values.append(value)
                labels.append(label)
            code.append(values.index(value))
            if raw is not None:
                parsed[raw] = code[-1]
        parameters.append(Parameter(index, name, table.name, table.id, object_id, field.name, unit, tuple(values),
                                    tuple(labels)))
        codes.append(code)
    variants = pl.DataFrame({"variant": list(range(len(rows))), **{p.dimension: codes[p.index] for p in parameters}},
                            schema={"variant": pl.Int64, **{p.dimension: pl.Int32 for p in parameters}})
    return Sweep(tuple(parameters), variants)


def read_grid(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise ModelError(str(path), "file", str(path), f"a readable grid JSON file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ModelError(str(path), "JSON", f"line {exc.lineno} column {exc.colno}", f"valid JSON ({exc.msg})") from None


def varied_tables(model: Model, sweep: Sweep) -> dict[str, pl.LazyFrame]:
    """The model's tables with the sweep's dimensions: a table with overridden inputs gets one dimension column
    per parameter on it (rows repeated per value, the overridden object's value replaced). The other tables are
    the model's own, unchanged."""
    tables = {name: frame.lazy() for name, frame in model.items()}
    for p in sweep.parameters:
        values = pl.LazyFrame({p.dimension: list(range(len(p.values))), "_value": list(p.values)},
                              schema={p.dimension: pl.Int32, "_value": pl.Float64})
        tables[p.table] = (tables[p.table].join(values, how="cross")
                           .with_columns(pl.when(pl.col(p.id_column) == p.object_id).then(pl.col("_value"))
                                         .otherwise(pl.col(p.column)).alias(p.column))
                           .drop("_value"))
    return tables


def sweep(model, grid: dict) -> pl.DataFrame:
    """One row per variant: `variant`, one column per parameter (as given), `total_footprint_kg` (the system's
    footprint summed over all hours) and the totals by category and phase. `model` is a Model or an API System."""
    if not isinstance(model, Model) and hasattr(model, "model"):
        model = model.model()
    plan = parse_grid(model, grid)
    targets = tuple(dict.fromkeys(stage for stage, *_ in FOOTPRINTS))
    frames = compute_tables(varied_tables(model, plan), stages=stages_for(
        (*targets, "server_fleet_shortages", "storage_fleet_shortages")))
    from efp_tables.compute import _raise_on_violations
    _raise_on_violations({name: frames[name].collect() for name in ("server_fleet_shortages",
                                                                      "storage_fleet_shortages")})
    return variant_totals(frames, plan)


def variant_totals(frames: dict[str, pl.LazyFrame], plan: Sweep) -> pl.DataFrame:
    """Totals per variant: each footprint summed over hours and objects with only its own dimensions, then
    broadcast to the variants through the dimensions it has."""
    totals = plan.variants.select("variant")
    for stage, _, column, category, phase in FOOTPRINTS:
        frame = frames[stage]
        dims = dimensions(frame)
        summed = frame.group_by(*dims).agg(pl.col(column).sum().alias("_kg")) if dims else \
            frame.select(pl.col(column).sum().alias("_kg"))
        per_variant = (plan.variants.lazy().join(summed, on=dims, how="left") if dims
                       else plan.variants.lazy().join(summed, how="cross"))
        totals = totals.join(per_variant.select("variant", pl.col("_kg").fill_null(0.0)
                                                .alias(f"{category}_{phase}_kg")).collect(), on="variant")
    totals = totals.with_columns(total_footprint_kg=pl.sum_horizontal(TOTAL_COLUMNS))
    return plan.labelled().join(totals, on="variant").sort("variant").select(
        "variant", *[p.name for p in plan.parameters], "total_footprint_kg", *TOTAL_COLUMNS)
