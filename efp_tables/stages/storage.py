"""Storage: data written by the jobs of its server, kept for the storage duration, plus the base need."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import polars as pl

from efp_tables.stages.hourly import Hourly, frame_of, row_tiles
from efp_tables.stages.timeline import VALUE, join, keyed, lazy_table, parameters, picked, table_of

STORAGE = ["system_id", "storage_id"]
_TB_PER_MB = 1e-6


def storage_jobs(server_hardware: pl.LazyFrame, job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Which jobs write to which storage: the jobs of the storage's server (direct and through services)."""
    links = join(parameters(job_parameters, ["system_id", "job_id"], "server_id"),
                 parameters(_hosts(server_hardware), ["system_id", "server_id"], "storage_id", "host_server_type"),
                 ["system_id", "server_id"])
    return picked(links, *keyed(links, STORAGE), "job_id", "host_server_type")


def _hosts(server_hardware: pl.LazyFrame) -> pl.LazyFrame:
    """The server of each storage (a storage has one, says validation): system_id, server_id, storage_id and the
    server's type as host_server_type."""
    return picked(server_hardware, *keyed(server_hardware, ["system_id", "server_id"]), "storage_id",
                  ("host_server_type", "server_type"), present="storage_id")


def full_cumulative_storage_need_per_job(job_hourly_data_stored_across_usage_patterns: Hourly,
                                         storage_jobs: pl.LazyFrame, storages: pl.LazyFrame) -> Hourly:
    """Storage.full_cumulative_storage_need_per_job (terabyte_stored): replicated data written by a job and
    not yet dumped (data written at hour k leaves at k + d).

    Calculation: rate = data_stored_across[J] * replication; d = ceil(data_storage_duration in hours);
    need[t] = sum_{k <= t} (rate[k] - rate[k - d]).

    Computed in float32, as efootprint does: the storage's baseline share depends on the fractional part of
    the cumulative need (ceil(need) - need), which at tens of thousands of TB float32 only keeps to about
    0.01 TB. In float64 the baseline footprint would differ from efootprint's by up to 1 % in most hours."""
    # The storages' parameters joined to their jobs first: the series' keys joined once.
    rates = job_hourly_data_stored_across_usage_patterns.joined(
        join(parameters(storage_jobs, [*STORAGE, "job_id"]), dump_parameters(storages), STORAGE),
        ["system_id", "job_id"])
    return rates.per_distinct(["data_replication_factor", "_dump_after"], stored_with_dumps,
                              gathered=False).keyed_by([*STORAGE, "job_id"])


def dump_parameters(storages: pl.LazyFrame) -> pl.LazyFrame:
    """What `stored_with_dumps` reads of each storage: its replication factor and whole hours before a dump."""
    table = table_of(storages)
    # The whole hours computed on the table in hand: the parameters then join with no query.
    dump_after = pl.Series("_dump_after", np.ceil(table.get_column("data_storage_duration").to_numpy()),
                           nan_to_null=True).cast(pl.Int64)
    return parameters(lazy_table(table.hstack([dump_after])), STORAGE, "data_replication_factor", "_dump_after")


def stored_with_dumps(rates: Hourly, times: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """{VALUE: terabyte_stored held} of rates (megabyte_stored per hour: block VALUE, times `times` if given, a
    block and per key row its row; key columns of `dump_parameters`): replicated, kept `_dump_after` hours,
    accumulated in float32 (see full_cumulative_storage_need_per_job). Computed a few rows at a time, so that the
    passes over a tile stay in the CPU's cache (the rows gathered tile by tile too)."""
    replication = rates.keys["data_replication_factor"].cast(pl.Float32).to_numpy()[:, None]
    dump_after = rates.keys["_dump_after"].to_numpy()
    values, rows, width = rates.blocks[VALUE], rates.rows, rates.width
    direct = len(rows) == len(values) and bool((rows == np.arange(len(rows))).all())  # a tile's rows: a view
    need, inside = np.empty((rates.height, width), dtype=np.float32), rates.in_span()
    for tile in row_tiles(rates.height, width):
        held = need[tile]
        written = values[tile] if direct else values[rows[tile]]
        held[:] = written if times is None else written * times[0][times[1][tile]]  # cast to float32
        held *= replication[tile]
        held *= np.float32(_TB_PER_MB)
        for after in np.unique(dump_after[tile][dump_after[tile] < width]):  # written at hour k, gone at k + after
            dumped = np.flatnonzero(dump_after[tile] == after)
            held[dumped, after:] -= held[dumped, :width - after]  # the rows' written values, copied first
        np.cumsum(held, axis=1, dtype=np.float32, out=held)
        # Each series only on its own hours: what is still stored after them is no value.
        np.copyto(held, np.float32(0.0), where=~inside[tile])
    return {VALUE: need}


def job_written_cumulative_storage_need(full_cumulative_storage_need_per_job: Hourly) -> Hourly:
    """Storage.job_written_cumulative_storage_need. Calculation: sum over the storage's jobs (float32, see
    full_cumulative_storage_need_per_job)."""
    return full_cumulative_storage_need_per_job.summed(STORAGE)


def storage_instances(job_written_cumulative_storage_need: Hourly, storages: pl.LazyFrame,
                      server_hardware: pl.LazyFrame) -> Hourly:
    """Storage needs and instances per hour.

    Calculation: full = job_written + base_storage_need (no job data: no series at all);
    raw = full / storage_capacity; nb = raw (serverless host), fixed_nb_of_instances if set, else ceil(raw)."""
    host = parameters(_hosts(server_hardware), STORAGE, "host_server_type")
    hourly = (job_written_cumulative_storage_need
              .joined(parameters(storages, STORAGE, "storage_capacity", "base_storage_need", "fixed_nb_of_instances"),
                      STORAGE)
              .joined(host, STORAGE, how="left"))
    instances = hourly.per_distinct(["storage_capacity", "base_storage_need", "fixed_nb_of_instances",
                                     "host_server_type"], _instances)
    # ceil(max(full) / capacity) is the highest ceil(raw): a division by a positive number keeps the order.
    peak = np.ceil(instances.blocks["full_cumulative_storage_need"].max(axis=1, initial=0.0)[instances.rows]
                   / hourly.keys["storage_capacity"].to_numpy())
    instances = replace(instances, keys=instances.keys.hstack([pl.Series("peak_nb_of_instances", peak)]))
    return (instances.keyed_by(STORAGE, "peak_nb_of_instances", "fixed_nb_of_instances", "host_server_type",
                               "storage_capacity", "base_storage_need")
            .deriving(("storage_capacity",), raw_nb_of_instances=_raw_instances))


def _instances(storage: Hourly) -> dict[str, np.ndarray]:
    job_written = storage[VALUE]
    base = storage.keys["base_storage_need"].cast(pl.Float32).to_numpy()[:, None]
    capacity = storage.parameter("storage_capacity")
    fixed = storage.keys["fixed_nb_of_instances"].to_numpy()
    serverless = storage.keys["host_server_type"].to_numpy() == "serverless"  # numpy: a Series' fill_null is a query
    ceiled, held = ~serverless & np.isnan(fixed), ~serverless & ~np.isnan(fixed)
    full = np.empty_like(job_written)  # float32, as job_written
    nb, spans = np.empty(job_written.shape), storage.in_span()
    # Tile by tile: the passes over each tile stay in the CPU's cache.
    for tile in row_tiles(storage.height, storage.width):
        inside, tile_full, tile_nb = spans[tile], full[tile], nb[tile]
        np.add(job_written[tile], base[tile], out=tile_full)
        np.copyto(tile_full, np.float32(0.0), where=~inside)
        # float64 from here: the float32 need divided as efootprint divides it (no float64 copy of full).
        np.divide(tile_full, capacity[tile], out=tile_nb, dtype=np.float64)
        if ceiled[tile].all():
            np.ceil(tile_nb, out=tile_nb)
            continue
        tile_nb[ceiled[tile]] = np.ceil(tile_nb[ceiled[tile]])
        tile_nb[held[tile]] = fixed[tile][held[tile], None] * inside[held[tile]]
    return {"job_written_cumulative_storage_need": job_written, "full_cumulative_storage_need": full,
            "nb_of_instances": nb}


def _raw_instances(storage: Hourly) -> np.ndarray:
    return storage["full_cumulative_storage_need"].astype(np.float64) / storage.parameter("storage_capacity")


def storage_manufacturing_intensity(storage_carbon_footprint_manufacturing: pl.LazyFrame,
                                    storages: pl.LazyFrame) -> pl.LazyFrame:
    """kg CO2e per storage instance and hour (`kg_per_instance_hour`): its manufacturing footprint spread over
    its lifespan. Calculation: cfm * 1 h / lifespan."""
    intensity = table_of(join(storage_carbon_footprint_manufacturing, parameters(storages, STORAGE, "lifespan"),
                              STORAGE))
    return _with_product(intensity, VALUE, intensity.get_column("lifespan"), "kg_per_instance_hour", divide=True)


def _with_product(table: pl.DataFrame, column: str, by: pl.Series, name: str, divide: bool = False) -> pl.LazyFrame:
    """The storage keys of a table in hand and `column` times (or divided by) `by` as `name`: Series arithmetic,
    the same as a query's, with no query."""
    values = table.get_column(column)
    return lazy_table(frame_of([*(table.get_column(c) for c in keyed(table, STORAGE)),
                                (values / by if divide else values * by).alias(name)]))


def storage_footprints(storage_instances: Hourly, storage_manufacturing_intensity: pl.LazyFrame) -> Hourly:
    """Storage.instances_manufacturing_footprint, storage_retention_manufacturing_footprint and
    storage_baseline_manufacturing_footprint (kg) per hour: instances, and the instances' shares that hold job
    data and base data, scaled by the kg per instance-hour of the key table.

    Calculation: F = nb * kg_per_instance_hour; with P = nb * capacity: retention = F * job_written / P,
    baseline = F * (P - full + base) / P (0 where P = 0)."""
    intensity = "kg_per_instance_hour"
    instances = storage_instances.only("nb_of_instances", "job_written_cumulative_storage_need",
                                       "full_cumulative_storage_need")
    return (instances.keyed_by(STORAGE, "storage_capacity", "base_storage_need")
            .deriving(("storage_capacity", "base_storage_need"), retention_instances=_retention_instances,
                      baseline_instances=_baseline_instances)
            .joined(storage_manufacturing_intensity, STORAGE)
            .scaling(instances_manufacturing_footprint=("nb_of_instances", intensity),
                     storage_retention_manufacturing_footprint=("retention_instances", intensity),
                     storage_baseline_manufacturing_footprint=("baseline_instances", intensity)))


def _shares_of(nb: np.ndarray, provisioned: np.ndarray, part: np.ndarray) -> np.ndarray:
    """nb * (part / provisioned), 0 where provisioned is 0, made in `part` (float64, overwritten)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(part, provisioned, out=part)
        np.multiply(nb, part, out=part)
    np.copyto(part, 0.0, where=provisioned == 0)
    return part


# The shares of the instances, from blocks of nb_of_instances and needs and per-row (rows x 1) parameters: for a
# whole block (the columns of storage_footprints) or a tile of rows (the attribution's atoms), the same operations.
def _retention_share(nb: np.ndarray, capacity: np.ndarray, job_written: np.ndarray) -> np.ndarray:
    return _shares_of(nb, nb * capacity, job_written.astype(np.float64))


def _baseline_share(nb: np.ndarray, capacity: np.ndarray, full: np.ndarray, base: np.ndarray,
                    out: np.ndarray | None = None) -> np.ndarray:
    provisioned = nb * capacity
    held = np.subtract(provisioned, full, out=out, dtype=np.float64)
    held += base
    return _shares_of(nb, provisioned, held)


def _retention_instances(storage: Hourly) -> np.ndarray:
    return _retention_share(storage["nb_of_instances"], storage.parameter("storage_capacity"),
                            storage["job_written_cumulative_storage_need"])


def _baseline_instances(storage: Hourly) -> np.ndarray:
    return _baseline_share(storage["nb_of_instances"], storage.parameter("storage_capacity"),
                           storage["full_cumulative_storage_need"], storage.parameter("base_storage_need"))


def retention_per_terabyte(storage_footprints: Hourly) -> Iterator[tuple[slice, np.ndarray]]:
    """storage_retention_manufacturing_footprint per terabyte of job data held (0 where none is), a few key rows
    of `storage_footprints` at a time: (their slice, their rows x hours). The footprint as its column gives it
    (`_retention_share`); the shares' temporaries stay in the CPU's cache.

    Calculation: F_retention / job_written (see storage_footprints)."""
    footprints = storage_footprints
    intensity = footprints.parameter(footprints.scaled["storage_retention_manufacturing_footprint"][1])
    capacity, rows = footprints.parameter("storage_capacity"), footprints.rows
    for tile in row_tiles(footprints.height, footprints.width):
        nb = footprints.blocks["nb_of_instances"][rows[tile]]
        written = footprints.blocks["job_written_cumulative_storage_need"][rows[tile]]
        retention = _retention_share(nb, capacity[tile], written)
        retention *= intensity[tile]
        per_tb = np.zeros_like(retention)
        np.divide(retention, written, out=per_tb, where=written != 0)
        yield tile, per_tb


def baseline_footprint_into(storage_footprints: Hourly, out: np.ndarray) -> None:
    """storage_baseline_manufacturing_footprint of each key row of `storage_footprints`, written into `out`
    (rows x hours) as its column gives it (`_baseline_share`), a few rows at a time.

    Calculation: F_baseline (see storage_footprints)."""
    footprints = storage_footprints
    intensity = footprints.parameter(footprints.scaled["storage_baseline_manufacturing_footprint"][1])
    capacity, base = footprints.parameter("storage_capacity"), footprints.parameter("base_storage_need")
    rows = footprints.rows
    for tile in row_tiles(footprints.height, footprints.width):
        held = _baseline_share(footprints.blocks["nb_of_instances"][rows[tile]], capacity[tile],
                               footprints.blocks["full_cumulative_storage_need"][rows[tile]], base[tile], out[tile])
        held *= intensity[tile]


def storage_fleet_shortages(storage_instances: Hourly) -> pl.DataFrame:
    """Storages whose peak need is above their fixed number of instances (not checked under a serverless
    server, whose storage follows the raw need; nor without a host server)."""
    keys = storage_instances.keys
    host = keys["host_server_type"].to_numpy()
    # Rows picked on numpy columns: no query at all in the usual case, where none is short.
    short = np.flatnonzero(np.not_equal(host, None) & (host != "serverless")
                           & (keys["peak_nb_of_instances"].to_numpy() > keys["fixed_nb_of_instances"].to_numpy()))
    short = keys[short].unique(STORAGE, keep="first", maintain_order=True) if len(short) else keys.clear()
    return frame_of([*(short.get_column(c) for c in STORAGE),
                     short.get_column("fixed_nb_of_instances").alias("available"),
                     short.get_column("peak_nb_of_instances").alias("requested")])


def storage_carbon_footprint_manufacturing(storages: pl.LazyFrame) -> pl.LazyFrame:
    """Storage.carbon_footprint_manufacturing (kg per instance). Calculation: cfm_per_capacity * capacity."""
    table = table_of(storages)
    return _with_product(table, "carbon_footprint_manufacturing_per_storage_capacity",
                         table.get_column("storage_capacity"), VALUE)
