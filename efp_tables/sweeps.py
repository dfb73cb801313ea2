"""Sweeps: many variants of a model computed in one plan.

A variant is a set of input overrides `OBJECT_ID.attribute = quantity`. Parameter p of a sweep (an overridden
input) becomes the dimension column `variant_p` (the index of its value) of the input table it belongs to;
stages carry the dimensions of their inputs and join on the ones both sides have, so what does not vary is
computed once and broadcast (stages.timeline.join, parameters). Per-variant totals are combined at the end from
per-object totals, each with only its own dimensions.

Variants run in chunks of consecutive numbers sized from the memory they need (`sweep_partition` computes one);
structural overrides (links, choices, lists of links) make a model per combination of their values."""
from __future__ import annotations

import itertools
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from efp_tables.compute import Frame, _raise_on_violations, compute_tables, idle_stages, parameters, stages_for
from efp_tables.engine import ENGINE, one_core_if_small
from efp_tables.errors import ModelError, attribute_choices, did_you_mean
from efp_tables.io.atomic import atomic_folder, atomic_path
from efp_tables.stages.attribution import attribution_totals
from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly
from efp_tables.stages.timeline import DIMENSION, HOUR, VALUE, dimensions
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model
from efp_tables.units import to_canonical


# The totals of a sweep's rows: footprint_by_object's (category, phase) summed over objects and hours.
TOTALS = {(category, phase): f"{category.lower()}_{phase.lower()}_kg" for category, phase in (
    ("Servers", "Manufacturing"), ("Servers", "Use"), ("Storage", "Manufacturing"),
    ("ExternalAPIs", "Manufacturing"), ("ExternalAPIs", "Use"), ("Network", "Use"),
    ("Devices", "Manufacturing"), ("Devices", "Use"), ("EdgeDevices", "Manufacturing"), ("EdgeDevices", "Use"))}
TOTAL_COLUMNS = list(TOTALS.values())
STRUCTURE = "structure_"
# Lists of links that a structural change may replace: (object table, efootprint attribute) -> (edge table, its
# column of the owner, its column of the listed objects).
EDGES = {
    ("usage_journeys", "uj_steps"): ("journey_steps", "journey_id", "step_id"),
    ("usage_journey_steps", "jobs"): ("step_jobs", "step_id", "job_id"),
    ("usage_patterns", "usage_journeys"): ("pattern_journeys", "usage_pattern_id", "journey_id"),
    ("usage_patterns", "devices"): ("pattern_devices", "usage_pattern_id", "device_id"),
}
KEPT = ("footprint_by_object", "server_fleet_shortages", "storage_fleet_shortages")
STAGES = stages_for(KEPT)
# With attribution totals (--attribution): the atoms too. Levels of the totals: level -> atom column.
ATTRIBUTION_LEVELS = {"usage_pattern": "usage_pattern_id", "journey": "journey_id"}
# The atoms summed over the hours (a sweep's own stage: its hourly atoms are never made whole).
KEPT_WITH_ATTRIBUTION = (*KEPT, "attribution_totals")
STAGES_WITH_ATTRIBUTION = (*stages_for((*KEPT, *parameters(attribution_totals))), attribution_totals)
# A chunk's working memory per byte of its blocks: arithmetic holds temporaries while it runs.
WORKING_COPIES = 2
MEMORY_CAP = 2 * 1024**3  # chunks past a few hundred MB gain little: most of what varies is already shared
CHUNK_BYTES = 1024**3  # a chunk's blocks: a second or two of work, so that progress shows
CHUNK_VARIANTS = 200_000  # a chunk's rows of totals: a few seconds of broadcasting to the variants


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
    values: tuple  # canonical: floats; a link's target id; an edge list's ((target id, weight), ...)
    labels: tuple[str, ...]  # the values as given, for output
    kind: str = "number"  # or "link" (a link or choice column) or "edge" (`column` is the edge table)

    @property
    def structural(self) -> bool:
        return self.kind != "number"

    @property
    def dimension(self) -> str:
        """The value-index column: a stage dimension for a number; for a structural change, a column of the
        variants only (each structure is its own model)."""
        return f"{STRUCTURE if self.structural else DIMENSION}{self.index}"


@dataclass(frozen=True)
class Sweep:
    """The variants of a sweep, numbered from 0. A grid is never expanded: variant v's value index of each
    parameter decodes from v arithmetically (the last parameter varies fastest). A list of variants keeps its
    value indices in `explicit`. Structural changes make models of their own, one per combination of their
    value indices (`structures`)."""
    parameters: tuple[Parameter, ...]
    size: int
    positions: tuple[tuple[int, ...], ...] | None = None  # grid: per parameter, value index at each list position
    explicit: pl.DataFrame | None = None  # list of variants: `variant` + one dimension column per parameter
    structures: dict[tuple[int, ...], Model] = field(default_factory=dict)

    @property
    def numeric(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if not p.structural)

    def models(self, model: Model, variants: pl.DataFrame) -> list[tuple[Model, pl.DataFrame]]:
        """`variants` (rows of `variants()`) by the model they run on."""
        columns = [p.dimension for p in self.parameters if p.structural]
        if not columns:
            return [(model, variants)]
        return [(self.structures[codes], rows) for codes, rows in
                variants.partition_by(columns, as_dict=True, maintain_order=True).items()]

    def __len__(self) -> int:
        return self.size

    def _strides(self) -> list[int]:
        strides, stride = [], 1
        for positions in reversed(self.positions):
            strides.append(stride)
            stride *= len(positions)
        return strides[::-1]

    def variants(self, start: int = 0, stop: int | None = None) -> pl.DataFrame:
        """`variant` and the value index of each parameter (its dimension column), for variants start..stop-1."""
        stop = self.size if stop is None else stop
        if self.explicit is not None:
            return self.explicit.slice(start, stop - start)
        numbers = np.arange(start, stop, dtype=np.int64)
        return pl.DataFrame({"variant": numbers, **{
            p.dimension: np.asarray(positions, dtype=np.int32)[(numbers // stride) % len(positions)]
            for p, positions, stride in zip(self.parameters, self.positions, self._strides())}})

    def used_values(self, start: int, stop: int) -> dict[str, list[int]]:
        """Per dimension, the value indices that variants start..stop-1 use."""
        if self.explicit is not None:
            chunk = self.explicit.slice(start, stop - start)
            return {p.dimension: chunk[p.dimension].unique().sort().to_list() for p in self.parameters}
        used = {}
        for p, positions, stride in zip(self.parameters, self.positions, self._strides()):
            first, last = start // stride, (stop - 1) // stride
            covered = range(len(positions)) if last - first + 1 >= len(positions) else \
                (q % len(positions) for q in range(first, last + 1))
            used[p.dimension] = sorted({positions[q] for q in covered})
        return used

    def labelled(self, variants: pl.DataFrame) -> pl.DataFrame:
        """`variant`, then one column per parameter with its value as given."""
        return pl.DataFrame([variants.get_column("variant"), *(
            pl.Series(p.name, p.labels, dtype=pl.String)[variants.get_column(p.dimension).to_numpy()]
            for p in self.parameters)])


def _locate(model: Model, name) -> tuple[s.Table, str, str]:
    if not isinstance(name, str) or "." not in name:
        raise ModelError("sweep", "parameter", name, "OBJECT_ID.attribute, e.g. 'server.average_carbon_intensity'")
    object_id, attribute = name.rsplit(".", 1)
    tables = [t for t in s.OBJECT_TABLES if object_id in set(model.table(t.name)[t.id].to_list())]
    if not tables:
        raise ModelError("sweep", "parameter", name, f"the id of an object of the model (no object {object_id!r}"
                         f"{did_you_mean(object_id, [i for t in s.OBJECT_TABLES for i in model.table(t.name)[t.id]])})")
    return tables[0], object_id, attribute


def _structural_attributes(table: s.Table) -> dict[str, tuple[str, s.Field | None]]:
    """The attributes (efootprint's names) of a table's objects that a structural change may set: links
    ("server"), choices ("server_type") and lists of links ("uj_steps"), with their kind and column."""
    attributes = {f.name.removesuffix("_id"): ("link", f) for f in table.fields if f.link}
    attributes |= {f.name: ("link", f) for f in table.fields if f.isin and not f.name.endswith("_class")}
    return attributes | {attribute: ("edge", None) for owner, attribute in EDGES if owner == table.name}


def _numeric_field(model: Model, table: s.Table, object_id: str, attribute: str) -> s.Field:
    row = model.table(table.name).filter(pl.col(table.id) == object_id).row(0, named=True)
    object_class = s.object_class(table, row)
    inputs = s.input_fields(table, object_class)
    numeric = {f.name: f for f in inputs if f.dtype == pl.Float64}
    if attribute not in numeric:
        structural = [name for name, (_, f) in _structural_attributes(table).items() if f is None or f in inputs]
        raise ModelError(f"{object_class} {object_id!r}", "sweep parameter", attribute,
                         attribute_choices(attribute, sorted(numeric), sorted(structural)))
    return numeric[attribute]


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


def _parameter(model: Model, index: int, name, raws: list) -> tuple[Parameter, list[int]]:
    """Parameter `name` with the distinct values of `raws` (None: the baseline), and each raw's value index."""
    table, object_id, attribute = _locate(model, name)
    if attribute in _structural_attributes(table):
        return _structural_parameter(model, index, name, table, object_id, attribute, raws)
    field = _numeric_field(model, table, object_id, attribute)
    unit, owner = _unit_of(model, table, object_id, field), f"{table.object_class} {object_id!r}"
    baseline = model.table(table.name).filter(pl.col(table.id) == object_id)[field.name][0]
    labels, values, codes, parsed = [], [], [], {}
    for raw in raws:
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) and raw in parsed:
            codes.append(parsed[raw])  # each distinct value goes through pint once
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
        codes.append(values.index(value))
        if raw is not None:
            parsed[raw] = codes[-1]
    parameter = Parameter(index, name, table.name, table.id, object_id, field.name, unit, tuple(values),
                          tuple(labels))
    return parameter, codes


def _structural_parameter(model: Model, index: int, name: str, table: s.Table, object_id: str, attribute: str,
                          raws: list) -> tuple[Parameter, list[int]]:
    """A structural change: each distinct value checked (target ids among the objects of the right table) into
    its canonical form (a column's new value, or the ((target id, weight), ...) of an edge list)."""
    kind, field = _structural_attributes(table)[attribute]
    owner = f"{table.object_class} {object_id!r}"
    current = model.table(table.name).filter(pl.col(table.id) == object_id).row(0, named=True)
    if kind == "edge":
        edge, owner_column, target_column = EDGES[table.name, attribute]
        edge_table = s.BY_NAME[edge]
        target_table = s.BY_NAME[edge_table.links[target_column]]
        rows = model.table(edge).filter(pl.col(owner_column) == object_id).sort("position")
        baseline = tuple(zip(rows[target_column], rows["weight"] if "weight" in rows.columns else [1.0] * rows.height))
    else:
        target_table = s.BY_NAME[field.link] if field.link else None
        baseline = current[field.name]
        if baseline is None:  # e.g. a video streaming job runs on its service: it has no server
            kind_of_object = next((v for k, v in current.items() if k.endswith("_class")), table.object_class)
            raise ModelError(owner, attribute, raws[0], f"an attribute that a {kind_of_object} has "
                             f"(its {field.name} is empty)")
    targets = set(model.table(target_table.name)[target_table.id]) if target_table else set()
    expected = f"the id of a {target_table.object_class} of the model" if target_table else f"one of {list(field.isin)}"

    def target(value):
        if not isinstance(value, str) or value not in (targets if target_table else field.isin):
            raise ModelError(owner, attribute, value, expected)
        return value

    labels, values, codes = [], [], []
    for raw in raws:
        if raw is None:
            value, label = baseline, "baseline"
        elif kind == "link":
            value, label = target(raw), raw if isinstance(raw, str) else json.dumps(raw)
        else:
            value, label = _edge_list(owner, attribute, raw, target, "weight" in edge_table.columns), json.dumps(raw)
        if value not in values:
            values.append(value)
            labels.append(label)
        codes.append(values.index(value))
    parameter = Parameter(index, name, edge if kind == "edge" else table.name, table.id, object_id,
                          edge if kind == "edge" else field.name, "", tuple(values), tuple(labels), kind)
    return parameter, codes


def _edge_list(owner: str, attribute: str, raw, target: Callable, weighted: bool) -> tuple[tuple[str, float], ...]:
    """A list of ids (in order; a repeated id counts once more in its weight) or, for weighted links, a
    {id: weight} object, as ((id, weight), ...)."""
    if isinstance(raw, list) and raw:
        weights: dict[str, float] = {}
        for item in raw:
            weights[target(item)] = weights.get(item, 0.0) + 1.0 if weighted else 1.0
        return tuple(weights.items())
    if weighted and isinstance(raw, dict) and raw:
        for item, weight in raw.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
                raise ModelError(owner, f"{attribute}[{item}]", weight, "a weight > 0")
        return tuple((target(item), float(weight)) for item, weight in raw.items())
    raise ModelError(owner, attribute, raw, "a non-empty list of ids" + (" or {id: weight} object" if weighted else ""))


def _with_structure(model: Model, changes: list[tuple[Parameter, object]]) -> Model:
    """The model with structural changes applied (checked like any model: classes across links, ...)."""
    tables = dict(model.items())
    for p, value in changes:
        if p.kind == "link":
            tables[p.table] = tables[p.table].with_columns(
                pl.when(pl.col(p.id_column) == p.object_id).then(pl.lit(value)).otherwise(pl.col(p.column))
                .alias(p.column))
            continue
        edge, owner_column, target_column = next(v for v in EDGES.values() if v[0] == p.table)
        rows = pl.DataFrame({"system_id": model.system_ids[0], owner_column: p.object_id,
                             target_column: [target for target, _ in value], "weight": [w for _, w in value],
                             "position": list(range(len(value)))}, schema_overrides={"position": pl.Int64})
        kept = tables[edge].filter(pl.col(owner_column) != p.object_id)
        tables[edge] = pl.concat([kept, rows.select(kept.columns)])
    return Model(**tables).validated()


def parse_grid(model: Model, grid: dict) -> Sweep:
    """A grid {"OBJ.attr": [v1, v2, ...], ...} (the cartesian product in file order, numbered from 0, the last
    parameter varying fastest) or {"variants": [{"OBJ.attr": v, ...}, ...]}. A value is a quantity, or for a
    structural attribute an object id ("JOB.server"), a choice ("SERVER.server_type") or a list of ids
    ("JOURNEY.uj_steps"). Every name, unit and value is checked, and every structure's model built, before
    anything runs."""
    if len(model.system_ids) != 1:
        raise ModelError("sweep", "model", model.system_ids, "a model of one system")
    if not isinstance(grid, dict) or not grid:
        raise ModelError("sweep", "grid", grid, "a non-empty JSON object")
    if "variants" not in grid:
        parameters, positions = [], []
        for index, name in enumerate(grid):
            if not isinstance(grid[name], list) or not grid[name]:
                raise ModelError("sweep", name, grid[name], "a non-empty list of values")
            parameter, codes = _parameter(model, index, name, grid[name])
            parameters.append(parameter)
            positions.append(tuple(codes))
        return _structured(model, Sweep(tuple(parameters), math.prod(len(p) for p in positions),
                                        positions=tuple(positions)))
    variants = grid["variants"]
    if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) and v for v in variants):
        raise ModelError("sweep", "variants", variants, "a non-empty list of non-empty {parameter: value} objects")
    parameters, columns = [], {"variant": pl.Series(range(len(variants)), dtype=pl.Int64)}
    for index, name in enumerate(dict.fromkeys(k for v in variants for k in v)):
        parameter, codes = _parameter(model, index, name, [v.get(name) for v in variants])
        parameters.append(parameter)
        columns[parameter.dimension] = pl.Series(codes, dtype=pl.Int32)
    return _structured(model, Sweep(tuple(parameters), len(variants), explicit=pl.DataFrame(columns)))


def _structured(model: Model, plan: Sweep) -> Sweep:
    """The plan with the model of every combination of structural changes its variants use, each built and
    checked now, before anything is computed."""
    changes = [p for p in plan.parameters if p.structural]
    if not changes:
        return plan
    if plan.explicit is not None:
        combinations = plan.explicit.select(p.dimension for p in changes).unique(maintain_order=True).rows()
    else:
        combinations = itertools.product(*(sorted(set(positions)) for p, positions
                                           in zip(plan.parameters, plan.positions) if p.structural))
    structures = {codes: _with_structure(model, [(p, p.values[code]) for p, code in zip(changes, codes)])
                  for codes in combinations}
    return Sweep(plan.parameters, plan.size, plan.positions, plan.explicit, structures)


def read_grid(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise ModelError(str(path), "file", str(path), f"a readable grid JSON file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ModelError(str(path), "JSON", f"line {exc.lineno} column {exc.colno}",
                         f"valid JSON ({exc.msg})") from None


def varied_tables(model: Model, plan: Sweep, used: dict[str, list[int]] | None = None) -> dict[str, pl.LazyFrame]:
    """The model's tables with the sweep's dimensions: a table with overridden inputs gets one dimension column
    per parameter on it (rows repeated per value index in `used`, all by default; the overridden object's value
    replaced). The other tables are the model's own, unchanged."""
    tables = {name: frame.lazy() for name, frame in model.items()}
    for p in plan.numeric:
        indices = range(len(p.values)) if used is None else used[p.dimension]
        values = pl.LazyFrame({p.dimension: list(indices), "_value": [p.values[i] for i in indices]},
                              schema={p.dimension: pl.Int32, "_value": pl.Float64})
        tables[p.table] = (tables[p.table].join(values, how="cross")
                           .with_columns(pl.when(pl.col(p.id_column) == p.object_id).then(pl.col("_value"))
                                         .otherwise(pl.col(p.column)).alias(p.column))
                           .drop("_value"))
    return tables


def variant_model(model: Model, plan: Sweep, variant: int) -> Model:
    """The model of one variant: the model of its structure with its numeric inputs set."""
    [(structure, row)] = plan.models(model, plan.variants(variant, variant + 1))
    tables = dict(structure.items())
    for p in plan.numeric:
        tables[p.table] = tables[p.table].with_columns(
            pl.when(pl.col(p.id_column) == p.object_id).then(pl.lit(p.values[row[p.dimension][0]]))
            .otherwise(pl.col(p.column)).alias(p.column))
    return Model(**tables).validated()


def stage_frames(model: Model, plan: Sweep, variants: pl.DataFrame, attribution: bool = False) -> dict[str, Frame]:
    """The stages of the footprints (and with `attribution`, of the atoms) for `variants`, only the value indices
    they use carried; capacity checked."""
    used = {p.dimension: variants[p.dimension].unique().sort().to_list() for p in plan.numeric}
    stages, kept = (STAGES_WITH_ATTRIBUTION, KEPT_WITH_ATTRIBUTION) if attribution else (STAGES, KEPT)
    frames = compute_tables(varied_tables(model, plan, used), stages=stages, keep=kept, idle=idle_stages(model))
    checked = ("server_fleet_shortages", "storage_fleet_shortages")
    _raise_on_violations(dict(zip(checked, pl.collect_all([frames[name] for name in checked], engine=ENGINE))))
    return frames


def sweep_partition(model: Model, plan: Sweep, variant_start: int, variant_stop: int, hourly: bool = False,
                    attribution: tuple[str, ...] = ()):
    """Totals of variants variant_start..variant_stop-1 (the rows `sweep` has for them), computed on their own:
    the unit of work of a sweep. `model` is the one `plan` was parsed on (`parse_grid`); the plan carries the
    models of its structural changes. With `hourly`, a pair (totals, `variant_hourly`); `attribution`: levels
    of ATTRIBUTION_LEVELS whose totals the rows also have (see `variant_attribution`)."""
    totals, per_hour = _partition(model, plan, variant_start, variant_stop, hourly, attribution)
    return (totals, per_hour) if hourly else totals


@one_core_if_small
def _partition(model: Model, plan: Sweep, start: int, stop: int, hourly: bool,
               attribution: tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    totals, hours = [], []
    for structure, variants in plan.models(model, plan.variants(start, stop)):
        frames = stage_frames(structure, plan, variants, attribution=bool(attribution))
        footprints = frames["footprint_by_object"]
        totals.append(variant_totals(footprints, plan, variants))
        if attribution:
            totals[-1] = pl.concat([totals[-1], variant_attribution(frames["attribution_totals"].collect(), variants,
                                                                    model, attribution)], how="horizontal")
        if hourly:
            hours.append(variant_hourly(footprints, variants))
    if len(totals) == 1:  # one structure: its variants are in order already
        return totals[0], hours[0] if hourly else None
    return (pl.concat(totals).sort("variant"),
            pl.concat(hours).sort("variant", "hour_utc") if hourly else None)


def _versions(keys: pl.DataFrame) -> list[tuple[list[str], np.ndarray]]:
    """The rows of `keys` by the sweep dimensions they carry (a part without a dimension has it null: it is the
    same in every variant), in the order of their first rows: (those dimensions, the rows' indices)."""
    dims = dimensions(keys)
    if not dims:
        return [([], np.arange(keys.height))]
    carried = np.column_stack([column.is_not_null().to_numpy() if column.has_nulls() else np.ones(len(column), bool)
                               for column in (keys.get_column(d) for d in dims)])
    patterns, first, inverse = np.unique(carried, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [([d for d, present in zip(dims, patterns[k]) if present], np.flatnonzero(inverse == k))
            for k in np.argsort(first)]


def version_sums(keys: pl.DataFrame, kg: np.ndarray, codes: pl.DataFrame, sizes: dict[str, int],
                 variants: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per column of `codes` (a code per row of `keys`: 0..size-1, null for a row not counted), a (size x
    variants) matrix: the rows' `kg` (their series summed over the hours) summed per code and per version of the
    dimensions (`_versions`), each version's sums added to the variants with its values of the dimensions it
    carries. One query per (column, version), all run at once; the versions are added in their order, so the
    bits do not depend on how the queries run."""
    versions = _versions(keys)
    kg = pl.DataFrame([*codes.get_columns(), *(keys.get_column(d) for d in dimensions(keys)), pl.Series("_kg", kg)])
    queries = []
    for column in sizes:
        for carried, rows in versions:
            sums = (kg[rows].lazy().group_by(column, *carried).agg(pl.col("_kg").sum())
                    .filter(pl.col(column).is_not_null()))
            if carried:
                sums = sums.join(variants.lazy().select(carried).with_row_index("_variant"), on=carried)
            queries.append(sums)
    done = iter(pl.collect_all(queries, engine=ENGINE))
    out = {}
    for column, size in sizes.items():
        out[column] = np.zeros((size, variants.height))
        for carried, _ in versions:
            sums = next(done)
            at, kg_sums = sums.get_column(column).to_numpy(), sums.get_column("_kg").to_numpy()
            if carried:
                out[column][at, sums.get_column("_variant").to_numpy()] += kg_sums
            else:
                out[column][at] += kg_sums[:, None]
    return out


def variant_totals(footprints: Hourly, plan: Sweep, variants: pl.DataFrame) -> pl.DataFrame:
    """Totals of `variants` (rows of `plan.variants()`, in order): footprint_by_object's rows summed over the
    hours (activities times their intensities: no hourly footprint is made), per category and phase and per
    version of the dimensions each carries, then broadcast to the variants."""
    codes = footprints.keys.select(pl.concat_str("category", pl.lit("|"), "phase")
                                   .replace_strict([f"{category}|{phase}" for category, phase in TOTALS],
                                                   range(len(TOTALS)), default=None, return_dtype=pl.Int64)
                                   .alias("_total"))
    totals = version_sums(footprints.keys, footprints.period_sums(VALUE), codes, {"_total": len(TOTALS)},
                          variants)["_total"]
    columns = pl.DataFrame([pl.Series(column, values) for column, values in zip(TOTAL_COLUMNS, totals)])
    total = columns.select(pl.sum_horizontal(TOTAL_COLUMNS).alias("total_footprint_kg")).get_column(
        "total_footprint_kg")  # Polars' order of additions, whose bits numpy's does not always give
    return pl.DataFrame([*plan.labelled(variants).get_columns(), total, *columns.get_columns()])


def attribution_columns(model: Model, levels: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Per level, {object id: column of its totals} (`usage_pattern_<id>_kg`, `journey_<id>_kg`): every usage
    pattern and journey of the model (web or edge), so that every chunk and structure has the same columns."""
    unknown = [level for level in levels if level not in ATTRIBUTION_LEVELS]
    if unknown:
        raise ModelError("sweep", "attribution", unknown, f"levels among {', '.join(ATTRIBUTION_LEVELS)}")
    # web and edge objects alike: an edge journey's id is an atom's journey_id
    tables = {"usage_pattern": (("usage_patterns", "usage_pattern_id"), ("edge_usage_patterns", "usage_pattern_id")),
              "journey": (("usage_journeys", "journey_id"), ("edge_usage_journeys", "edge_journey_id"))}
    return {level: {object_id: f"{level}_{object_id}_kg" for table, column in tables[level]
                    for object_id in model.table(table)[column].to_list()} for level in levels}


def variant_attribution(atoms: pl.DataFrame, variants: pl.DataFrame, model: Model,
                        levels: tuple[str, ...]) -> pl.DataFrame:
    """Per variant (rows of `variants`, in order), the footprint each usage pattern (and journey) causes: the
    attribution atoms summed over the hours (`attribution_totals`) grouped by the level's id, per version of the
    dimensions the atoms carry, broadcast to the variants as `variant_totals` does. A level's columns add up to
    the total."""
    columns = attribution_columns(model, levels)
    codes = atoms.select(pl.col(ATTRIBUTION_LEVELS[level]).cast(pl.String)
                         .replace_strict(list(by_id), range(len(by_id)), return_dtype=pl.Int64).alias(level)
                         for level, by_id in columns.items())
    sums = version_sums(atoms.drop(VALUE), atoms.get_column(VALUE).to_numpy(), codes,
                        {level: len(by_id) for level, by_id in columns.items()}, variants)
    return pl.DataFrame([pl.Series(column, values) for level, by_id in columns.items()
                         for column, values in zip(by_id.values(), sums[level])])


def variant_hourly(footprints: Hourly, variants: pl.DataFrame) -> pl.DataFrame:
    """The system's total footprint per variant and hour (every hour from the first to the last of any
    footprint): `variant`, `hour_utc`, `total_footprint_kg`. The rows of each set of dimensions are summed per
    version of them into a dense (version x hour) block; a variant's series adds up the rows of its versions."""
    first, last = footprints.spans()
    begin, span = (int(first.min()), int(last.max() - first.min() + 1)) if footprints.height else (0, 0)
    at = begin - footprints.start
    parts = [(dims, footprints.filtered(np.isin(np.arange(footprints.height), rows)).keyed_by([]).summed([]))
             for dims, rows in _versions(footprints.keys)]
    # Each variant's version of each set of dimensions, all matched at once.
    matches = iter(pl.collect_all([
        variants.lazy().select(dims).with_row_index("_variant")
        .join(part.keys.lazy().select(dims).with_row_index("_version"), on=dims)
        for dims, part in parts if dims], engine=ENGINE))
    total = np.zeros((variants.height, span))
    for dims, part in parts:
        series = part[VALUE][:, at:at + span]
        if dims:
            match = next(matches)
            total[match.get_column("_variant").to_numpy()] += series[match.get_column("_version").to_numpy()]
        else:
            total += series[0]
    hours = np.tile(np.arange(begin, begin + span, dtype=np.int64), variants.height) * 3_600_000_000
    return pl.DataFrame({"variant": np.repeat(variants["variant"].to_numpy(), span),
                         "hour_utc": pl.Series(hours).cast(pl.Datetime("us", "UTC")),
                         "total_footprint_kg": total.ravel()})


def available_memory() -> int:
    """Bytes of memory available now: MemAvailable of /proc/meminfo (Linux), else the free physical pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def memory_limit_default() -> int:
    """What a sweep's chunks may hold: half the available memory, at most MEMORY_CAP."""
    return min(available_memory() // 2, MEMORY_CAP)


@dataclass(frozen=True)
class ChunkCost:
    """Memory of a chunk of variants: per hourly stage, the bytes of its blocks for all the sweep's values
    (`stage_bytes`), scaled by the share of the values of each dimension its blocks vary with (`stage_dims`)
    that the chunk uses; plus each variant's own output rows."""
    stage_bytes: dict[str, float]
    stage_dims: dict[str, frozenset[str]]
    sizes: dict[str, int]  # values per dimension
    variant_bytes: int

    def __call__(self, plan: Sweep, start: int, stop: int) -> int:
        used = plan.used_values(start, stop)
        blocks = sum(size * math.prod(len(used[d]) / self.sizes[d] for d in self.stage_dims[name])
                     for name, size in self.stage_bytes.items())
        return WORKING_COPIES * int(blocks + self.variant_bytes * (stop - start))

    def largest_stop(self, plan: Sweep, start: int, limit: int) -> int:
        """The end of the longest chunk from `start` within `limit` bytes (at least one variant)."""
        low, high = start + 1, len(plan)  # the cost only grows with the chunk's end
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if self(plan, start, middle) <= limit else (low, middle - 1)
        return low


# block_dimensions packs a key row's codes in one int64 below this product of their sizes (else combines them a
# column at a time).
_PACKED_CODES = 2**62


def block_dimensions(series: Hourly) -> frozenset[str]:
    """The sweep dimensions along which the series' blocks differ: those of the key table, but for a
    dimension whose values share their block rows (an intensity that only scales them)."""
    dims = dimensions(series.keys)
    ids = [c for c, dtype in series.keys.schema.items() if c not in dims and c not in (FIRST, LAST, ROW)
           and (c.endswith("_id") or dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum))]
    if not dims or not series.height:
        return frozenset()
    # A dimension varies the blocks if the rows equal in everything else hold more than one block row: there are
    # then more distinct (everything else, ROW) than distinct (everything else). Counted on integer codes in
    # numpy, no query: the ids as one code (their rows' hashes: a collision, of odds ~1e-15, would only misprice
    # a chunk), each dimension's value index (null: -1), all packed in one integer (or, past int64, combined as one
    # dense code a column at a time: `_combined`).
    ids_code = (np.unique(pl.DataFrame([series.keys.get_column(c) for c in ids]).hash_rows().to_numpy(),
                          return_inverse=True)[1].reshape(-1)
                if ids else np.zeros(series.height, dtype=np.int64))
    codes = {d: _value_codes(series.keys.get_column(d)) for d in dims}
    rows = series.keys.get_column(ROW).to_numpy()
    sizes = [int(ids_code.max()) + 1, *(int(codes[d].max()) + 1 for d in dims), int(rows.max()) + 1]
    if math.prod(sizes) < _PACKED_CODES:
        # All codes in one integer (mixed radix: the ids, each dimension, then ROW): a dimension's digit taken out
        # leaves everything else. Two np.unique per dimension.
        place = np.cumprod(sizes[:-1]).tolist()  # of each dimension's digit, then of ROW's
        packed = ids_code + sum(codes[d] * place[at] for at, d in enumerate(dims))
        others = {d: packed - codes[d] * place[at] for at, d in enumerate(dims)}
        return frozenset(d for d in dims if len(np.unique(others[d] + rows * place[-1])) > len(np.unique(others[d])))
    varying = set()
    for d in dims:
        others = _combined(ids_code, *(codes[o] for o in dims if o != d))
        if len(np.unique(_combined(others, rows))) > len(np.unique(others)):
            varying.add(d)
    return frozenset(varying)


def _combined(*codes: np.ndarray) -> np.ndarray:
    """Codes of the rows' combinations of `codes` (non-negative integers per row), dense from 0: made a column at
    a time, densified after each, so that they never overflow."""
    combined = np.asarray(codes[0], dtype=np.int64)
    for code in codes[1:]:
        code = np.asarray(code, dtype=np.int64)
        combined = np.unique(combined * (int(code.max(initial=0)) + 1) + code, return_inverse=True)[1].reshape(-1)
    return combined


def _value_codes(dimension: pl.Series) -> np.ndarray:
    """A dimension's value indices as 0, 1, ... (null, a part the dimension does not reach, as 0)."""
    values = dimension.to_numpy()
    return (np.nan_to_num(values, nan=-1.0) if dimension.has_nulls() else values).astype(np.int64) + 1


@one_core_if_small
def chunk_cost(model: Model, plan: Sweep, hourly: bool, attribution: bool = False) -> ChunkCost:
    """The cost of chunks, from the blocks' sizes: the stages run on every value of the sweep over one hour of
    each usage pattern (shapes only: the key tables are the sweep's, the blocks an hour wide), and each stage's
    block rows times the model's hours give its bytes."""
    occurrences, deployments = model.table("hourly_occurrences"), model.table("edge_deployment_starts")
    varied = varied_tables(model, plan)
    # An edge pattern's series last its deployments' hours plus its usage span: the shape run gives each pattern
    # a usage span under an hour (the sweep's values scaled down, still distinct), so that its blocks are an
    # hour wide too, and the longest span is counted in the hours instead.
    longest_span = varied["edge_usage_patterns"].select(pl.col("usage_span").max()).collect().item() or 0.0
    hours = max(occurrences.group_by("usage_pattern_id").agg(pl.len())["len"].max() or 1,
                (deployments.group_by("usage_pattern_id").agg(pl.len())["len"].max() or 0) + math.ceil(longest_span))
    first_hour = pl.col(HOUR) == pl.col(HOUR).min().over("usage_pattern_id")
    shapes = {**varied, "hourly_occurrences": occurrences.filter(first_hour).lazy(),
              "edge_deployment_starts": deployments.filter(first_hour).lazy(),
              "edge_usage_patterns": varied["edge_usage_patterns"].with_columns(
                  pl.col("usage_span") / max(longest_span, 1.0))}
    frames = compute_tables(shapes, stages=STAGES_WITH_ATTRIBUTION if attribution else STAGES, idle=idle_stages(model))
    stage_bytes, dims, counted = {}, {}, set()
    for name, frame in frames.items():
        if isinstance(frame, Hourly) and frame.blocks:
            # A block that a stage hands on unchanged (a footprint stage's activities) is held once.
            blocks = [block for block in frame.blocks.values() if id(block) not in counted]
            counted |= {id(block) for block in blocks}
            # Blocks are as wide as the series plus what durations add (already in the shape's width).
            stage_bytes[name] = sum(block.nbytes for block in blocks) / max(frame.width, 1) * (hours + frame.width - 1)
            dims[name] = block_dimensions(frame)
    variant_bytes = 200 + (2 * 16 * hours if hourly else 0)  # a row of totals; its hourly rows and their block
    return ChunkCost(stage_bytes, dims, {p.dimension: len(p.values) for p in plan.numeric}, variant_bytes)


def _partitions(model: Model, plan: Sweep, chunk_size: int | None, memory_limit: int | None, hourly: bool,
                progress: bool, attribution: tuple[str, ...] = ()) -> Iterator[tuple[pl.DataFrame, pl.DataFrame | None]]:
    """(totals, hourly or None) of successive chunks of variants: `chunk_size` variants each, or as many as
    fit in `memory_limit` bytes and CHUNK_BYTES, CHUNK_VARIANTS at most (so that progress shows), priced by
    `chunk_cost`."""
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or chunk_size < 1):
        raise ModelError("sweep", "chunk_size", chunk_size, "a whole number of variants >= 1")
    limit = min(memory_limit_default() if memory_limit is None else memory_limit, CHUNK_BYTES)
    attribution_columns(model, attribution)  # levels checked before anything runs
    cost = chunk_cost(model, plan, hourly, bool(attribution)) if chunk_size is None else None
    with tqdm(total=len(plan), unit="variant", disable=not progress, file=sys.stderr, mininterval=0,
              dynamic_ncols=True) as bar:  # an update per chunk: few enough to show each
        start = 0
        while start < len(plan):
            stop = (min(start + chunk_size, len(plan)) if chunk_size
                    else min(cost.largest_stop(plan, start, limit), start + CHUNK_VARIANTS))
            yield _partition(model, plan, start, stop, hourly, attribution)
            bar.update(stop - start)
            start = stop


def _plan(model, grid) -> tuple[Model, Sweep]:
    if not isinstance(model, Model) and hasattr(model, "model"):
        model = model.model()
    return model, parse_grid(model, grid)


def sweep(model, grid: dict, *, chunk_size: int | None = None, memory_limit: int | None = None,
          progress: bool = False, engine: str = "local", address: str | None = None,
          workers: int = 2, attribution: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per variant: `variant`, one column per parameter (as given), `total_footprint_kg` (the system's
    footprint summed over all hours) and the totals by category and phase. `model` is a Model or an API System.
    Variants run in chunks of `chunk_size`, or as many as `memory_limit` bytes allow (default
    `memory_limit_default()`); `progress` shows a bar of variants done on stderr. `engine="dask"` runs them on a
    Dask cluster instead (`address` of its scheduler, or a local one of `workers` processes; see
    efp_tables.distributed), its workers writing partitions that are read back here. `attribution`: levels
    ("usage_pattern", "journey") whose footprints the rows also give, one `<level>_<id>_kg` column per object
    (the attribution atoms grouped by it; local engine only)."""
    if engine != "local":
        if attribution:
            raise ModelError("sweep", "attribution", attribution, "the local engine")
        return _sweep_elsewhere(model, grid, engine, address, workers, progress)
    model, plan = _plan(model, grid)
    return pl.concat([totals for totals, _ in _partitions(model, plan, chunk_size, memory_limit, False,
                                                          progress, attribution)])


def _sweep_elsewhere(model, grid: dict, engine: str, address: str | None, workers: int,
                     progress: bool) -> pl.DataFrame:
    from efp_tables import distributed
    distributed.check_engine(engine)
    with tempfile.TemporaryDirectory() as folder:
        distributed.sweep_on_dask(model, grid, folder, address=address, workers=workers, progress=progress)
        return distributed.read_sweep(folder)


def sweep_to_parquet(model, grid: dict, path: str | Path, *, hourly_folder: str | Path | None = None,
                     chunk_size: int | None = None, memory_limit: int | None = None, progress: bool = False,
                     to_arrow: Callable[[pl.DataFrame], pa.Table] = pl.DataFrame.to_arrow,
                     attribution: tuple[str, ...] = ()) -> int:
    """`sweep` written to Parquet chunk by chunk (each chunk's rows through `to_arrow`); with `hourly_folder`,
    also each variant's hourly total footprint in `hourly_folder/variant=N/part.parquet` (hive partitions).
    Both appear only complete: they are written under temporary names and renamed at the end. Returns the
    number of variants."""
    model, plan = _plan(model, grid)
    with atomic_path(path) as temporary, (atomic_folder(hourly_folder) if hourly_folder is not None
                                          else nullcontext()) as hourly_temporary:
        writer = None
        try:
            for totals, per_hour in _partitions(model, plan, chunk_size, memory_limit, hourly_folder is not None,
                                                progress, attribution):
                table = to_arrow(totals)
                writer = writer or pq.ParquetWriter(temporary, table.schema, compression="zstd")
                writer.write_table(table)
                if per_hour is not None:
                    _write_hourly(per_hour, hourly_temporary, to_arrow)
        finally:
            if writer is not None:
                writer.close()
    return len(plan)


def _write_hourly(per_hour: pl.DataFrame, folder: Path, to_arrow: Callable[[pl.DataFrame], pa.Table]) -> None:
    for (variant,), rows in per_hour.partition_by("variant", as_dict=True, include_key=False).items():
        (folder / f"variant={variant}").mkdir()
        pq.write_table(to_arrow(rows), folder / f"variant={variant}" / "part.parquet", compression="zstd")
