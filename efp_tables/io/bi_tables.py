"""Tidy tables that a BI tool (DuckDB, Power BI, Tableau, pandas) reads directly, made from computed results:

- `results.parquet`: efootprint's long table (io.results_table), unchanged so that parity.py reads it;
- `<object table>_hourly.parquet` (servers, storages, jobs, ...): one row per (system, object, key, hour) and one
  column per hourly attribute, named `<attribute>_<unit suffix>` (`instances_energy_kwh`);
- `footprint_by_category.parquet`: kg per (system, category, phase, object) over the whole period, and
  `footprint_by_category_hourly.parquet`: kg per (system, category, phase, hour).

Every quantity column carries its pint unit in its Arrow field metadata (key "unit") and, where a BI tool would
drop that metadata, in its name. Hours are UTC: `hour_utc` columns are timestamp[us, tz=UTC]; the long table's
`hour` stays naive (parity.py joins it with efootprint's naive hours) and says "UTC" in its metadata.
`write_bi_tables` writes the whole set or nothing."""
from __future__ import annotations

import functools
from contextlib import ExitStack
from pathlib import Path

import polars as pl
import pyarrow as pa

from efp_tables.engine import ENGINE
from efp_tables.io import results_table
from efp_tables.io.atomic import atomic_path
from efp_tables.io.results_table import objects, with_units
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
_CATEGORY_TABLES = {"Servers": "servers", "Storage": "storages", "Network": "networks", "Devices": "devices",
                    "EdgeDevices": "edge_devices"}
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


def hourly_tables(collected: dict[str, pl.DataFrame], names: pl.DataFrame
                  ) -> dict[str, tuple[pl.DataFrame, dict[str, str]]]:
    """{"servers_hourly": (frame, {column: unit}), ...}: every hourly attribute of the long table (the same
    io.results_table.ATTRIBUTES), one wide frame per object table of `names` (io.results_table.objects), made
    from the stage frames `collected` (compute.Results.collected): several times faster than pivoting the long
    table's millions of string rows. Attributes keyed alike (by usage pattern, by journey step coordinate, ...)
    are joined on their id columns and hour; `key_id` is spelled out once per kind of key, and the kinds are
    stacked. An attribute given in several units (compute needs: cpu_core, or gpu for GPU servers) gets one
    column per unit. A null is an hour without a value (0) or an attribute the row's object or key does not
    have; an attribute without any value has no column."""
    # Ids as one Enum (sorted like the strings): joins hash integer codes instead of strings.
    ids = pl.Enum(names["object_id"].unique().sort())
    names = names.with_columns(pl.col("system_id", "object_id").cast(ids))
    groups, units = {}, {}
    for spec, unit, key_columns, frame in _hourly_parts(collected, names, ids):
        column = f"{spec.attribute}_{unit_suffix(unit, spec.attribute)}"
        key = spec.key if spec.key is not None else pl.lit("")
        groups.setdefault((spec.object_table, key_columns), (key, []))[1].append(frame.rename({VALUE: column}))
        units.setdefault(spec.object_table, {})[column] = unit
    stacks: dict[str, list[pl.LazyFrame]] = {}
    for (table, key_columns), (key, frames) in groups.items():
        on = ["system_id", "object_id", *key_columns, HOUR]
        wide = functools.reduce(lambda left, right: left.join(right, on=on, how="full", coalesce=True), frames)
        stacks.setdefault(table, []).append(
            wide.with_columns(pl.col(key_columns).cast(pl.String)).with_columns(key.alias("key_id")).drop(key_columns))
    plans = {}
    for table, stack in stacks.items():
        described = names.filter(pl.col("object_table") == table).select(
            "system_id", "object_id", "object_class", "object_name")
        hour_utc = pl.from_epoch(pl.col(HOUR) * 3600, time_unit="s").cast(pl.Datetime("us")).dt.replace_time_zone(
            "UTC").alias(HOUR_UTC)
        plans[table] = (pl.concat(stack, how="diagonal").join(described.lazy(), on=["system_id", "object_id"])
                        .with_columns(hour_utc).sort("system_id", "object_id", "key_id", HOUR_UTC)
                        .with_columns(pl.col("system_id", "object_id").cast(pl.String))
                        .select(*_HOURLY_INDEX, *units[table]))
    return {f"{table}_hourly": (frame, units[table])
            for table, frame in zip(plans, pl.collect_all(list(plans.values()), engine=ENGINE))}


def _hourly_parts(collected: dict[str, pl.DataFrame], names: pl.DataFrame, ids: pl.Enum):
    """(attribute spec, unit, key id columns, rows) of every hourly attribute and unit that has values: rows of
    (system_id, object_id, *key id columns, hour, value), the id columns as `ids`."""
    plans = []
    for spec in results_table.ATTRIBUTES:
        frame = collected[spec.frame]
        if HOUR not in frame.columns:
            continue
        described = names.filter(pl.col("object_table") == spec.object_table)
        if spec.classes:
            described = described.filter(pl.col("object_class").is_in(spec.classes))
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
    frames = pl.collect_all([rows for *_, rows in plans], engine=ENGINE)
    return [(spec, unit, key_columns, frame.lazy())
            for (spec, unit, key_columns, _), frame in zip(plans, frames) if frame.height]


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


def bi_tables(results, long: pl.DataFrame | None = None, portfolio: bool = True) -> dict[str, pa.Table]:
    """Every output table of computed `results` (a compute.Results), by file stem, with unit metadata.
    `long` is `results.long()` when already at hand. Without `portfolio`, results.parquet has no `system_id`
    column (as `efp compute` of one model always wrote it); the other tables always have it."""
    long = results.long() if long is None else long
    names = objects(results.model).collect(engine=ENGINE)
    by_object = results.collected["footprint_by_object"]
    tables = {"results": with_units(long if portfolio else long.drop("system_id"), {}, _LONG_NOTES)}
    for name, (frame, units) in hourly_tables(results.collected, names).items():
        tables[name] = with_units(frame, units, {HOUR_UTC: _UTC_NOTE})
    tables["footprint_by_category"] = with_units(footprint_by_category(by_object, names),
                                                 {"footprint_kg": "kilogram"})
    tables["footprint_by_category_hourly"] = with_units(footprint_by_category_hourly(by_object),
                                                        {"footprint_kg": "kilogram"}, {HOUR_UTC: _UTC_NOTE})
    return tables


def write_bi_tables(tables: dict[str, pa.Table], folder: str | Path) -> list[Path]:
    """Write `tables` as folder/<name>.parquet, all or none: each goes to a temporary file first, and the
    temporary files are renamed over the targets only once every table is written (on any error, all of them
    are removed and the folder keeps its previous files)."""
    folder = Path(folder)
    paths = [folder / f"{name}.parquet" for name in tables]
    with ExitStack() as renames:
        for path, table in zip(paths, tables.values()):
            results_table.write_arrow(table, renames.enter_context(atomic_path(path)))
    return paths
