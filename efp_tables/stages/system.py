"""System: every object's footprint by category and phase, and the hourly total."""
from __future__ import annotations

import polars as pl

from efp_tables.stages.timeline import HOUR, VALUE

CATEGORIES = ("Servers", "Storage", "Network", "Devices")
PHASES = {"instances_manufacturing_footprint": "Manufacturing", "use_footprint": "Use"}


def _phases(frame: pl.LazyFrame, category: str, id_column: str, columns: list[str]) -> list[pl.LazyFrame]:
    return [frame.select("system_id", pl.lit(category).alias("category"), pl.col(id_column).alias("object_id"),
                         pl.lit(PHASES[c]).alias("phase"), HOUR, pl.col(c).alias(VALUE)) for c in columns]


def footprint_by_object(server_footprints: pl.LazyFrame, storage_footprints: pl.LazyFrame,
                        network_use_footprint: pl.LazyFrame, device_footprints: pl.LazyFrame) -> pl.LazyFrame:
    """Hourly footprint (kg) of every object of a system, by category and phase (Manufacturing, Use).
    Storage has no use phase and networks no manufacturing phase."""
    network = network_use_footprint.rename({VALUE: "use_footprint"})
    return pl.concat([
        *_phases(server_footprints, "Servers", "server_id", ["instances_manufacturing_footprint", "use_footprint"]),
        *_phases(storage_footprints, "Storage", "storage_id", ["instances_manufacturing_footprint"]),
        *_phases(network, "Network", "network_id", ["use_footprint"]),
        *_phases(device_footprints, "Devices", "device_id", ["instances_manufacturing_footprint", "use_footprint"]),
    ])


def total_footprint(footprint_by_object: pl.LazyFrame) -> pl.LazyFrame:
    """System.total_footprint (kg). Calculation: sum over categories, objects and phases."""
    return footprint_by_object.group_by("system_id", HOUR).agg(pl.col(VALUE).sum())
