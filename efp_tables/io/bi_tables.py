"""Tidy tables that a BI tool (DuckDB, Power BI, Tableau, pandas) reads directly, made from computed results:

- `results.parquet`: efootprint's long table (io.results_table), unchanged so that parity.py reads it;
- `<object table>_hourly.parquet` (servers, storages, jobs, ...): one row per (system, object, key, hour) and one
  column per hourly attribute, named `<attribute>_<unit suffix>` (`instances_energy_kwh`);
- `footprint_by_category.parquet`: kg per (system, category, phase, object) over the whole period, and
  `footprint_by_category_hourly.parquet`: kg per (system, category, phase, hour);
- `attribution.parquet`: the attribution atoms, one row per atom and hour, in efootprint's atoms format
  (attribution_parity.py compares it directly) and a star-schema fact table whose ids join to
  `objects.parquet` (names, classes) — see io.attribution_table.

Every quantity column carries its pint unit in its Arrow field metadata (key "unit") and, where a BI tool would
drop that metadata, in its name. Hours are UTC: `hour_utc` columns are timestamp[us, tz=UTC]; the long table's
`hour` stays naive (parity.py joins it with efootprint's naive hours) and says "UTC" in its metadata.
`write_bi_tables` writes the whole set or nothing."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from efp_tables.engine import ENGINE
from efp_tables.io import results_table
from efp_tables.io.atomic import atomic_path
from efp_tables.io.attribution_table import atom_parts, objects_table
from efp_tables.io.results_table import objects, with_units
from efp_tables.stages.hourly import FIRST, LAST, Hourly
from efp_tables.stages.timeline import HOUR, VALUE

# Column name suffix of every pint unit in our results.
UNIT_SUFFIXES = {
    "kilogram": "kg", "kilowatt_hour": "kwh", "kilowatt": "kw", "hour": "h",
    "megabyte": "mb", "megabyte_stored": "mb_stored", "terabyte_stored": "tb_stored", "gigabyte_ram": "gb_ram",
    "megabyte / second": "mb_per_s", "cpu_core": "cpu_core", "gpu": "gpu", "concurrent": "concurrent",
    "occurrence": "occurrence", "gigabyte_stored": "gb_stored",
}
HOUR_UTC = "hour_utc"
_HOURLY_INDEX = ["system_id", "object_id", "object_class", "object_name", "key_id", HOUR_UTC]
_HOURLY_INDEX_SCHEMA = {**dict.fromkeys(_HOURLY_INDEX[:-1], pl.String), HOUR_UTC: pl.Datetime("us", "UTC")}
_CATEGORY_TABLES = {"Servers": "servers", "Storage": "storages", "ExternalAPIs": "external_apis",
                    "Network": "networks", "Devices": "devices", "EdgeDevices": "edge_devices"}
_UTC_NOTE = {"timezone": "UTC"}
_LONG_NOTES = {"hour": {"timezone": "UTC", "description": "hour starting (naive timestamp, UTC); null for scalars"},
               "value": {"unit_column": "unit", "description": "value in the pint unit of the row's unit column"},
               "unit": {"description": "pint unit of value"}}


def unit_suffix(unit: str, attribute: str) -> str:
    """The column name suffix of `attribute`'s pint unit (kilowatt_hour -> kwh)."""
    try:
        return UNIT_SUFFIXES[unit]
    except KeyError:
        raise ValueError(f"results attribute {attribute!r} in unit {unit!r}: expected one of the units with a "
                         f"column name suffix ({', '.join(sorted(UNIT_SUFFIXES))}); add it to UNIT_SUFFIXES") from None


def hourly_tables(results, names: pl.DataFrame, groups: list[list[str] | None]) -> dict[str, Streamed]:
    """{"servers_hourly": its parts, ...}: every hourly attribute of the long table (the same
    io.results_table.ATTRIBUTES), one wide table per object table of `names` (io.results_table.objects), made
    from the stages of `results` (a compute.Results) when written, for a large portfolio a group of systems at a
    time (`groups`, results_table.system_groups; every part with the whole table's columns), so that a writer
    holds one part at a time. Attributes keyed alike (by usage pattern, by journey step coordinate, ...) are joined on
    their id columns and hour; `key_id` is spelled out once per kind of key, and the kinds are stacked. An
    attribute given in several units (compute needs: cpu_core, or gpu for GPU servers) gets one column per unit.
    A null is an hour without a value (0) or an attribute the row's object or key does not have; an attribute
    without any value has no column."""
    present = set(names["object_table"])
    tables = dict.fromkeys(spec.object_table for spec in results_table.ATTRIBUTES
                           if isinstance(results.frames[spec.frame], Hourly) and results.frames[spec.frame].height
                           and spec.object_table in present)
    return {f"{table}_hourly": Streamed(functools.partial(_hourly_table_parts, results, names, table, groups))
            for table in tables}


def _hourly_table_parts(results, names: pl.DataFrame, table: str, groups: list[list[str] | None]) -> Iterator[pa.Table]:
    if len(groups) == 1:  # the whole table at once
        yield _with_hour_units(*_hourly_table(results, names, table))
        return
    units = _hourly_columns(results, names, table)
    for systems in groups:
        frame, _ = _hourly_table(results, names, table, systems)
        if frame.height:
            yield _with_hour_units(frame.select(*_HOURLY_INDEX, *(
                pl.col(column) if column in frame.columns else pl.lit(None, dtype=pl.Float64).alias(column)
                for column in units)), units)


def _hourly_table(results, names: pl.DataFrame, table: str,
                  systems: list[str] | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """`table`'s wide hourly rows (of `systems` only, if given) and their columns' units."""
    ids, names = _table_names(names, table)
    groups, units = {}, {}
    for spec, unit, key_columns, frame in _hourly_parts(
            results, names, ids, table, lambda spec: results.frame(spec.frame, [spec.column], systems)):
        column = f"{spec.attribute}_{unit_suffix(unit, spec.attribute)}"
        key = spec.key if spec.key is not None else pl.lit("")
        groups.setdefault(key_columns, (key, []))[1].append(frame.rename({VALUE: column}))
        units[column] = unit
    stack = []
    for key_columns, (key, frames) in groups.items():
        on = ["system_id", "object_id", *key_columns, HOUR]
        # Null ids match: an edge job's coordinate has no journey, and its attributes belong on one row.
        wide = functools.reduce(lambda left, right: left.join(right, on=on, how="full", coalesce=True,
                                                              nulls_equal=True), frames)
        stack.append(wide.with_columns(pl.col(key_columns).cast(pl.String)).with_columns(key.alias("key_id"))
                     .drop(key_columns))
    if not stack:  # none of these systems has a value of the table's attributes
        return pl.DataFrame(schema=_HOURLY_INDEX_SCHEMA), units
    hour_utc = pl.from_epoch(pl.col(HOUR) * 3600, time_unit="s").cast(pl.Datetime("us")).dt.replace_time_zone(
        "UTC").alias(HOUR_UTC)
    frame = (pl.concat(stack, how="diagonal")
             .join(names.lazy().select("system_id", "object_id", "object_class", "object_name"),
                   on=["system_id", "object_id"])
             .with_columns(hour_utc).sort("system_id", "object_id", "key_id", HOUR_UTC)
             .with_columns(pl.col("system_id", "object_id").cast(pl.String))
             .select(*_HOURLY_INDEX, *units))
    return frame.collect(engine=ENGINE), units


def _hourly_parts(results, names: pl.DataFrame, ids: pl.Enum, table: str, rows_of: Callable):
    """(attribute spec, unit, key id columns, rows) of every hourly attribute of `table`'s objects and unit that
    has values: rows of (system_id, object_id, *key id columns, hour, value), the id columns as `ids`, made from
    `rows_of(spec)` (see _attribute_plans), which are let go on return."""
    plans = _attribute_plans(results, names, ids, table, rows_of)
    frames = pl.collect_all([rows for *_, rows in plans], engine=ENGINE)
    return [(spec, unit, key_columns, frame.lazy())
            for (spec, unit, key_columns, _), frame in zip(plans, frames) if frame.height]


def _hourly_columns(results, names: pl.DataFrame, table: str) -> dict[str, str]:
    """The columns (and units) of `table`'s wide hourly rows for all systems, in their order: found on the stages'
    key tables (an attribute has values where it has a series of some hours), no hourly row made."""
    ids, names = _table_names(names, table)
    return {f"{spec.attribute}_{unit_suffix(unit, spec.attribute)}": unit for spec, unit, _, _ in _hourly_parts(
        results, names, ids, table, lambda spec: _series_rows(results.hourly(spec.frame), spec.column))}


def _series_rows(series: Hourly, column: str) -> pl.DataFrame:
    """A row per series of some hours (its keys, an hour and a value of `column`, both 0): where its long rows
    are."""
    return series.keys.filter(pl.col(LAST) >= pl.col(FIRST)).with_columns(pl.lit(0, dtype=pl.Int64).alias(HOUR),
                                                                          pl.lit(0.0).alias(column))


def _table_names(names: pl.DataFrame, table: str) -> tuple[pl.Enum, pl.DataFrame]:
    """The ids of `names` as one Enum (sorted like the strings: joins hash integer codes instead of strings), and
    the rows of `table`'s objects with their ids in it."""
    ids = pl.Enum(names["object_id"].unique().sort())
    return ids, names.filter(pl.col("object_table") == table).with_columns(pl.col("system_id", "object_id").cast(ids))


def _attribute_plans(results, names: pl.DataFrame, ids: pl.Enum, table: str,
                     rows_of: Callable) -> list[tuple[results_table.Attribute, str, tuple[str, ...], pl.LazyFrame]]:
    """(attribute spec, unit, key id columns, plan of its rows) of every hourly attribute of `table`'s objects and
    unit: rows of (system_id, object_id, *key id columns, hour, value), the id columns as `ids`, from the rows
    `rows_of(spec)` gives (the stage's long rows, or a row per series)."""
    plans = []
    for spec in results_table.ATTRIBUTES:
        if spec.object_table != table or not isinstance(results.frames[spec.frame], Hourly):
            continue
        described = names.filter(pl.col("object_class").is_in(spec.classes)) if spec.classes else names
        frame = rows_of(spec)
        # A unit read from the frame (edge needs: their component's kind), else from the object.
        unit_in_frame = isinstance(spec.unit, pl.Expr) and set(spec.unit.meta.root_names()) <= set(frame.columns)
        described = described.select("system_id", "object_id", *(() if unit_in_frame else (
            pl.lit(spec.unit).alias("unit") if isinstance(spec.unit, str) else spec.unit.alias("unit"),)))
        key_columns = tuple(dict.fromkeys(spec.key.meta.root_names())) if spec.key is not None else ()
        rows = (frame.lazy().select(pl.col("system_id").cast(ids), pl.col(spec.id).cast(ids).alias("object_id"),
                                    pl.col(key_columns).cast(ids), HOUR,
                                    pl.col(spec.column).cast(pl.Float64).alias(VALUE),
                                    *((spec.unit.alias("unit"),) if unit_in_frame else ()))
                .filter(pl.col(VALUE).is_not_null()).join(described.lazy(), on=["system_id", "object_id"]))
        units = frame.select(spec.unit.alias("unit")) if unit_in_frame else described
        for unit in units["unit"].unique(maintain_order=True):
            plans.append((spec, unit, key_columns, rows.filter(pl.col("unit") == unit).drop("unit")))
    return plans


def footprint_by_category(footprint_by_object: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """kg per (system, category, phase, object) over the whole period: the System's total_footprint split up."""
    by_object = footprint_by_object.with_columns(
        pl.col("category").replace_strict(_CATEGORY_TABLES).alias("object_table"))
    totals = by_object.group_by("system_id", "category", "phase", "object_table", "object_id").agg(
        pl.col("value").sum().alias("footprint_kg"))
    return (totals.join(names.select("system_id", "object_table", "object_id", "object_name"),
                        on=["system_id", "object_table", "object_id"], how="left")
            .select("system_id", "category", "phase", "object_id", "object_name", "footprint_kg")
            .sort("system_id", "category", "phase", "object_id"))


def footprint_by_category_hourly(footprint_by_object: pl.DataFrame) -> pl.DataFrame:
    """kg per (system, category, phase, hour); the hour's categories and phases add up to total_footprint."""
    return (footprint_by_object.group_by("system_id", "category", "phase", "hour")
            .agg(pl.col("value").sum().alias("footprint_kg"))
            .select("system_id", "category", "phase",
                    pl.from_epoch(pl.col("hour") * 3600, time_unit="s").cast(pl.Datetime("us"))
                    .dt.replace_time_zone("UTC").alias(HOUR_UTC), "footprint_kg")
            .sort("system_id", "category", "phase", HOUR_UTC))


@dataclass(frozen=True)
class Streamed:
    """A table written part by part (Arrow tables of one schema, from `parts()`), never whole in memory."""
    parts: Callable[[], Iterator[pa.Table]]


# A table to write: whole, made when written (one at a time), or streamed.
Table = pa.Table | Callable[[], pa.Table] | Streamed


def bi_tables(results, long: pl.DataFrame | None = None, portfolio: bool = True) -> dict[str, Table]:
    """Every output table of computed `results` (a compute.Results), by file stem, with unit metadata, each made
    only when `write_bi_tables` writes it. `long` is `results.long()` when already at hand (otherwise the long
    table is streamed attribute by attribute). Without `portfolio`, results.parquet has no `system_id` column (as
    `efp compute` of one model always wrote it); the other tables always have it."""
    names = objects(results.model).collect(engine=ENGINE)

    def long_table(frame: pl.DataFrame) -> pa.Table:
        return with_units(frame if portfolio else frame.drop("system_id"), {}, _LONG_NOTES)

    tables: dict[str, Table] = {"results": long_table(long) if long is not None else Streamed(
        lambda: map(long_table, results_table.long_result_parts(results)))}
    groups = results_table.system_groups(results.model)  # a large portfolio's tables made a group at a time
    tables.update(hourly_tables(results, names, groups))

    def by_category() -> Iterator[pa.Table]:
        for systems in groups:
            yield with_units(footprint_by_category(results.frame("footprint_by_object", systems=systems), names),
                             {"footprint_kg": "kilogram"})

    def by_category_hourly() -> Iterator[pa.Table]:
        for systems in groups:
            yield with_units(footprint_by_category_hourly(results.frame("footprint_by_object", systems=systems)),
                             {"footprint_kg": "kilogram"}, {HOUR_UTC: _UTC_NOTE})
    tables = {**tables, "footprint_by_category": Streamed(by_category),
              "footprint_by_category_hourly": Streamed(by_category_hourly)}
    return {**tables, "attribution": Streamed(functools.partial(atom_parts, results)),
            "objects": functools.partial(objects_table, results)}


def _with_hour_units(frame: pl.DataFrame, units: dict[str, str]) -> pa.Table:
    return with_units(frame, units, {HOUR_UTC: _UTC_NOTE})


def write_bi_tables(tables: dict[str, Table], folder: str | Path) -> list[Path]:
    """Write `tables` as folder/<name>.parquet, all or none: each goes to a temporary file first, and the
    temporary files are renamed over the targets only once every table is written (on any error, all of them
    are removed and the folder keeps its previous files). Tables made when written are made one at a time."""
    folder = Path(folder)
    paths = [folder / f"{name}.parquet" for name in tables]
    with ExitStack() as renames:
        for path, table in zip(paths, tables.values()):
            target = renames.enter_context(atomic_path(path))
            if isinstance(table, Streamed):
                _write_parts(table.parts(), target)
            else:
                results_table.write_arrow(table() if callable(table) else table, target)
    return paths


def _write_parts(parts: Iterator[pa.Table], path: Path) -> None:
    writer = None
    try:
        for part in parts:
            writer = writer or pq.ParquetWriter(path, part.schema, compression="zstd")
            writer.write_table(part)
    finally:
        if writer is not None:
            writer.close()
