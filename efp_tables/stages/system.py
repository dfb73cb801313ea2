"""System: every object's footprint by category and phase, and the hourly total."""
from __future__ import annotations

from functools import cache

import polars as pl

from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly, frame_of, stacked
from efp_tables.stages.timeline import VALUE, dimensions, keyed

CATEGORIES = ("Servers", "Storage", "ExternalAPIs", "Network", "Devices", "EdgeDevices")
PHASES = {"instances_manufacturing_footprint": "Manufacturing", "use_footprint": "Use"}
_ACTIVITY, _SCALE = "activity", "kg_per_activity"


def _phases(footprints: Hourly, category: str, id_column: str) -> list[Hourly]:
    """One part per phase: an activity block and its kg per unit of activity (1 where the block is in kg)."""
    parts, keys = [], footprints.keys
    # The key table of each part made of whole columns, in the order keyed_by(system_id, category, object_id,
    # phase) gives: no query, no table of every column of the footprints first.
    object_ids, height = keys.get_column(id_column).alias("object_id"), keys.height
    dims = [keys.get_column(c) for c in keyed(keys, [])]
    internal = [keys.get_column(c) for c in (FIRST, LAST, ROW)]
    for column, phase in PHASES.items():
        if column not in footprints.columns:
            continue
        block, intensity = footprints.scaled.get(column, (column, None))
        scale = keys.get_column(intensity).alias(_SCALE) if intensity else _repeated(_SCALE, 1.0, height)
        labelled = frame_of([keys.get_column("system_id"), _repeated("category", category, height), object_ids,
                             _repeated("phase", phase, height), *dims, scale, *internal])
        parts.append(Hourly(labelled, {_ACTIVITY: footprints.blocks[block]}, footprints.start,
                            {VALUE: (_ACTIVITY, _SCALE)}))
    return parts


def _repeated(name: str, value: str | float, height: int) -> pl.Series:
    return _one(name, value).new_from_index(0, height)


@cache
def _one(name: str, value: str | float) -> pl.Series:
    return pl.Series(name, [value], dtype=pl.String if isinstance(value, str) else pl.Float64)


def footprint_by_object(server_footprints: Hourly, storage_footprints: Hourly, external_api_footprints: Hourly,
                        network_use_footprint: Hourly, device_footprints: Hourly, edge_device_footprints: Hourly,
                        system_edge_devices: pl.LazyFrame) -> Hourly:
    """Hourly footprint (kg) of every object of a system, by category and phase (Manufacturing, Use), each an
    activity times its kg per unit (sweep totals sum the activities over hours first). Storage has no use phase
    and networks no manufacturing phase. An external API (category ExternalAPIs) shows its server's footprints, as
    efootprint's ExternalAPI does. Edge devices are one category, EdgeDevices, as efootprint shows them: only
    the system's own (system_edge_devices)."""
    edge = edge_device_footprints
    if edge.height or dimensions(system_edge_devices):  # else no series to match, and the join adds no column kept
        edge = edge.joined(system_edge_devices, ["system_id", "edge_device_id"])
    return stacked([*_phases(server_footprints, "Servers", "server_id"),
                    *_phases(storage_footprints, "Storage", "storage_id"),
                    *_phases(external_api_footprints, "ExternalAPIs", "external_api_id"),
                    *_phases(network_use_footprint.only(use_footprint=VALUE), "Network", "network_id"),
                    *_phases(device_footprints, "Devices", "device_id"),
                    *_phases(edge, "EdgeDevices", "edge_device_id")])


def total_footprint(footprint_by_object: Hourly) -> Hourly:
    """System.total_footprint (kg). Calculation: sum over categories, objects and phases."""
    return footprint_by_object.summed(["system_id"], [VALUE])
