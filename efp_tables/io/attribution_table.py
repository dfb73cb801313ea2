"""The attribution atoms (stages.attribution) as one fact table, and the objects its keys point to.

`attribution.parquet` has the columns of efootprint's atoms files (shared/reference/*.attribution.parquet, so that
attribution_parity.py compares it directly) plus `system_id`:
    system_id, source_id, source_class, stream, phase, usage_pattern_id, journey_id, job_id, step_id,
    rsn_id, ef_id, recn_id, redn_id, hour, value_kg
one row per atom and hour where the atom is not 0 (an atom that is 0 throughout keeps one row at its first hour,
so that every atom is listed). It is also the fact table of a star schema: every `*_id` joins, with
`system_id`, to `objects.parquet` (system_id, object_id, object_table, object_class, object_name, and
country_id for usage patterns, web or edge). `hour` is a
UTC timestamp (Arrow timestamp[us, tz=UTC]); `value_kg` carries its unit ("kilogram") in its Arrow field
metadata. Key columns are dictionary-encoded: a few distinct values repeated over every hour."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
import pyarrow as pa

from efp_tables.io.results_table import objects, with_units
from efp_tables.stages.attribution import ATOM_KEYS, WEIGHT
from efp_tables.stages.timeline import HOUR, VALUE

KEY = ATOM_KEYS
ID_COLUMNS = [c for c in KEY if c.endswith("_id")]
_US_PER_HOUR = 3_600_000_000
_NOTES = {"hour": {"timezone": "UTC", "description": "hour starting"},
          "value_kg": {"description": "kg CO2-eq of the atom in that hour"}}


def atom_rows(atoms) -> pl.DataFrame:
    """Long rows of an attribution Hourly: KEY, hour (UTC), value_kg; zero hours left out but for one row of an
    atom that is 0 throughout."""
    long = atoms.long([VALUE])
    keys = [c for c in atoms.key_columns if c != WEIGHT]
    nonzero = pl.col(VALUE) != 0
    first_of_empty = (~nonzero.any().over(keys)) & (pl.col(HOUR) == pl.col(HOUR).min().over(keys))
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in KEY if c not in long.columns]
    return (long.filter(nonzero | first_of_empty).with_columns(*missing)
            .select(*KEY, *[c for c in keys if c not in KEY],
                    (pl.col(HOUR) * _US_PER_HOUR).cast(pl.Datetime("us", "UTC")).alias("hour"),
                    pl.col(VALUE).alias("value_kg")))


def atom_parts(results) -> Iterator[pa.Table]:
    """attribution.parquet of computed `results` (a compute.Results) source by source, as Arrow tables with unit
    metadata: a source's long rows at a time, never every atom's."""
    atoms = results.hourly("attribution")
    sources = atoms.keys.select(pl.struct("system_id", "source_id").rank("dense")).to_series().to_numpy()
    for source in np.unique(sources):
        rows = atom_rows(atoms.filtered(sources == source)).with_columns(pl.col(KEY).cast(pl.Categorical))
        yield with_units(rows, {"value_kg": "kilogram"}, _NOTES)
    if not len(sources):
        yield with_units(atom_rows(atoms).with_columns(pl.col(KEY).cast(pl.Categorical)), {"value_kg": "kilogram"},
                         _NOTES)


def atoms_table(results) -> pa.Table:
    """attribution.parquet of computed `results` as one Arrow table."""
    return pa.concat_tables(atom_parts(results)).combine_chunks()


def objects_frame(results) -> pl.DataFrame:
    """The rows of objects.parquet: the table, class and name of every object (and system) the atoms' ids point
    to, and for a usage pattern its country (`country_id`: the chain of an atom ends at it)."""
    countries = pl.concat([results.model.table(table).select(
        "system_id", pl.lit(table).alias("object_table"), pl.col("usage_pattern_id").alias("object_id"), "country_id")
        for table in ("usage_patterns", "edge_usage_patterns")])
    return (objects(results.model).collect().join(countries, on=["system_id", "object_table", "object_id"],
                                                   how="left").sort("system_id", "object_table", "object_id"))


def objects_table(results) -> pa.Table:
    """objects.parquet as an Arrow table."""
    return with_units(objects_frame(results), {})
