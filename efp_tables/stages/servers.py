"""Servers (Server, GPUServer, BoaviztaCloudServer): hardware, capacity, instances, energy and footprints."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from efp_tables.stages.hourly import Hourly, frame_of, row_tiles
from efp_tables.stages.timeline import VALUE, join, keyed, lazy_table, parameters, picked, table_of

SERVER = ["system_id", "server_id"]


def server_hardware(servers: pl.LazyFrame, cloud_instances: pl.LazyFrame) -> pl.LazyFrame:
    """Per-instance hardware figures of every server, whatever its class.

    Calculation: GPUServer: cfm = cfm_without_gpu + compute * cfm_per_gpu, power = gpu_power * compute,
    idle_power = gpu_idle_power * compute, ram = ram_per_gpu * compute. BoaviztaCloudServer: cfm, power, ram and
    compute of its (provider, instance_type) in Boavizta's cloud instance table. kg_per_instance_hour = cfm /
    lifespan (an instance's manufacturing per hour of its life)."""
    gpu = pl.col("server_class") == "GPUServer"
    cloud = pl.col("server_class") == "BoaviztaCloudServer"
    return (servers.join(cloud_instances.select("provider", "instance_type",
                                                pl.col("carbon_footprint_manufacturing").alias("_cloud_cfm"),
                                                pl.col("power").alias("_cloud_power"),
                                                pl.col("ram").alias("_cloud_ram"),
                                                pl.col("compute").alias("_cloud_compute")),
                         on=["provider", "instance_type"], how="left", maintain_order="left")
            .with_columns(
                carbon_footprint_manufacturing=pl.when(gpu).then(
                    pl.col("carbon_footprint_manufacturing_without_gpu")
                    + pl.col("compute") * pl.col("carbon_footprint_manufacturing_per_gpu"))
                .when(cloud).then(pl.col("_cloud_cfm")).otherwise(pl.col("carbon_footprint_manufacturing")),
                power=pl.when(gpu).then(pl.col("gpu_power") * pl.col("compute"))
                .when(cloud).then(pl.col("_cloud_power")).otherwise(pl.col("power")),
                idle_power=pl.when(gpu).then(pl.col("gpu_idle_power") * pl.col("compute")).otherwise(pl.col("idle_power")),
                ram=pl.when(gpu).then(pl.col("ram_per_gpu") * pl.col("compute"))
                .when(cloud).then(pl.col("_cloud_ram")).otherwise(pl.col("ram")),
                compute=pl.when(cloud).then(pl.col("_cloud_compute")).otherwise(pl.col("compute")))
            .select(*keyed(servers, SERVER), "name", "server_class", "server_type", "carbon_footprint_manufacturing", "power",
                    "idle_power", "ram", "compute", "lifespan", "power_usage_effectiveness",
                    "average_carbon_intensity", "utilization_rate", "base_ram_consumption",
                    "base_compute_consumption", "storage_id", "fixed_nb_of_instances",
                    (pl.col("carbon_footprint_manufacturing") / pl.col("lifespan")).alias("kg_per_instance_hour")))


def server_capacity(server_hardware: pl.LazyFrame, services: pl.LazyFrame) -> pl.LazyFrame:
    """Per-instance RAM and compute: occupied by the server and its installed services, and left for jobs.

    Calculation: occupied = base consumption + sum of installed services' base consumption;
    available = capacity * utilization_rate - occupied (must be > 0)."""
    reserved = services.group_by(*keyed(services, SERVER), maintain_order=True).agg(_service_ram=pl.col("base_ram_consumption").sum(),
                                              _service_compute=pl.col("base_compute_consumption").sum())
    hardware = parameters(server_hardware, SERVER, "base_ram_consumption", "base_compute_consumption", "ram",
                          "compute", "utilization_rate")
    capacity = join(hardware, reserved, SERVER, how="left")
    return (capacity
            .with_columns(
                occupied_ram_per_instance=pl.col("base_ram_consumption") + pl.col("_service_ram").fill_null(0.0),
                occupied_compute_per_instance=pl.col("base_compute_consumption")
                + pl.col("_service_compute").fill_null(0.0),
                usable_ram_per_instance=pl.col("ram") * pl.col("utilization_rate"),
                usable_compute_per_instance=pl.col("compute") * pl.col("utilization_rate"))
            .with_columns(
                available_ram_per_instance=pl.col("usable_ram_per_instance") - pl.col("occupied_ram_per_instance"),
                available_compute_per_instance=pl.col("usable_compute_per_instance")
                - pl.col("occupied_compute_per_instance"))
            .select(*keyed(capacity, SERVER), "occupied_ram_per_instance", "occupied_compute_per_instance", "usable_ram_per_instance",
                    "usable_compute_per_instance", "available_ram_per_instance", "available_compute_per_instance"))


def server_job_hourly_needs(job_hourly_avg_occurrences_across_usage_patterns: Hourly,
                            job_parameters: pl.LazyFrame) -> Hourly:
    """Hourly RAM and compute needs of each job on its server (intermediate, per job).

    Calculation: need[J] = avg_across[J] * ram_needed[J] (resp. compute_needed[J]). External API jobs run on no
    server of ours."""
    job, needed = ["system_id", "job_id"], ("server_id", "service_id", "ram_needed", "compute_needed")
    served = picked(job_parameters, *keyed(job_parameters, job), *needed, present="server_id")
    needs = job_hourly_avg_occurrences_across_usage_patterns.joined(parameters(served, job, *needed), job)
    return needs.per_distinct(["ram_needed", "compute_needed"], _job_needs, gathered=False).keyed_by(
        SERVER, "service_id", "job_id")


def _job_needs(job: Hourly) -> dict[str, np.ndarray]:
    # Tile by tile: each tile's occurrences read from memory once for both needs.
    ram_needed, compute_needed = job.parameter("ram_needed"), job.parameter("compute_needed")
    occurrences = job[VALUE] if job.direct else None  # the block itself when its rows are the key rows
    dtype = np.result_type(job.blocks[VALUE].dtype, ram_needed.dtype)
    gathered = np.empty((job.height, job.width), dtype=job.blocks[VALUE].dtype) if occurrences is None else None
    ram, compute = np.empty((job.height, job.width), dtype=dtype), np.empty((job.height, job.width), dtype=dtype)
    for tile in row_tiles(job.height, job.width):
        tile_occurrences = occurrences[tile] if occurrences is not None else job.rows_of(VALUE, tile, gathered[tile])
        np.multiply(tile_occurrences, ram_needed[tile], out=ram[tile])
        np.multiply(tile_occurrences, compute_needed[tile], out=compute[tile])
    return {"occurrences": gathered if occurrences is None else occurrences, "ram_need": ram, "compute_need": compute}


def server_hourly_needs(server_job_hourly_needs: Hourly) -> Hourly:
    """ServerBase.hour_by_hour_ram_need (GB_ram) and hour_by_hour_compute_need. Calculation: sum over jobs, on
    every hour from the server's first to its last (0 where no job runs, as efootprint's sums of series).
    Hours without needs count for the instances too (0 of them; a flat on-premise fleet)."""
    return server_job_hourly_needs.only("ram_need", "compute_need").summed(SERVER)


def service_total_job_volumes(server_job_hourly_needs: Hourly) -> Hourly:
    """ServerBase.service_total_job_volumes: invocations in progress per hour of each installed service's jobs.
    Calculation: sum over the service's jobs of avg_across[J]."""
    needs = server_job_hourly_needs
    return (needs.filtered(np.not_equal(needs.keys["service_id"].to_numpy(), None)).only(**{VALUE: "occurrences"})
            .summed([*SERVER, "service_id"]))


def server_instances(server_hourly_needs: Hourly, server_capacity: pl.LazyFrame,
                     server_hardware: pl.LazyFrame) -> Hourly:
    """ServerBase.raw_nb_of_instances and nb_of_instances (concurrent).

    Calculation: raw = max(ram_need / available_ram, compute_need / available_compute);
    nb = ceil(raw) (autoscaling), raw (serverless), ceil(max over hours of raw) or fixed_nb_of_instances
    for every hour (on-premise)."""
    # The parameter tables joined to each other first: one query on the series' keys, not two.
    needs = server_hourly_needs.joined(join(
        parameters(server_capacity, SERVER, "available_ram_per_instance", "available_compute_per_instance"),
        parameters(server_hardware, SERVER, "server_type", "fixed_nb_of_instances"), SERVER), SERVER)
    instances = needs.per_distinct(["available_ram_per_instance", "available_compute_per_instance", "server_type",
                                    "fixed_nb_of_instances"], _instances, gathered=False)
    peak = np.ceil(instances.blocks["raw_nb_of_instances"].max(axis=1, initial=0.0))[instances.rows]
    instances = replace(instances, keys=instances.keys.hstack([pl.Series("peak_nb_of_instances", peak)]))
    return instances.keyed_by(SERVER, "peak_nb_of_instances", "fixed_nb_of_instances", "server_type")


def _instances(server: Hourly) -> dict[str, np.ndarray]:
    # Tile by tile, each tile's needs gathered and divided into buffers that stay in the CPU's cache.
    ram_per_instance = server.parameter("available_ram_per_instance")
    compute_per_instance = server.parameter("available_compute_per_instance")
    fixed = server.keys["fixed_nb_of_instances"].to_numpy()
    server_type = server.keys["server_type"].to_numpy()
    autoscaling, serverless = server_type == "autoscaling", server_type == "serverless"
    raw, nb = np.empty((server.height, server.width)), np.empty((server.height, server.width))
    tiles = row_tiles(server.height, server.width)
    buffer = np.empty_like(raw[tiles[0]]) if tiles else raw
    for tile in tiles:
        tile_raw, tile_nb = raw[tile], nb[tile]
        np.divide(server.rows_of("ram_need", tile), ram_per_instance[tile], out=tile_raw)
        compute_share = np.divide(server.rows_of("compute_need", tile), compute_per_instance[tile],
                                  out=buffer[:len(tile_raw)])
        np.maximum(tile_raw, compute_share, out=tile_raw)
        if autoscaling[tile].all():
            np.ceil(tile_raw, out=tile_nb)
            continue
        scaled, held = autoscaling[tile], serverless[tile]
        tile_nb[scaled] = np.ceil(tile_raw[scaled])
        tile_nb[held] = tile_raw[held]
        on_premise = np.flatnonzero(~scaled & ~held)
        if len(on_premise):
            fleet = fixed[tile][on_premise]
            fleet = np.where(np.isnan(fleet), np.ceil(tile_raw[on_premise].max(axis=1, initial=0.0)), fleet)
            tile_nb[on_premise] = fleet[:, None] * server.in_span(np.arange(server.height)[tile][on_premise])
    return {"raw_nb_of_instances": raw, "nb_of_instances": nb}


def server_energy(server_instances: Hourly, server_hardware: pl.LazyFrame) -> Hourly:
    """Hourly energy (kWh) of each server, idle and under load, and its instances (concurrent).

    Calculation: E_idle = idle_power * PUE * 1 h; E_extra = (power - idle_power) * PUE * 1 h;
    idle_energy = E_idle * nb; load_energy = E_extra * raw; instances_energy = idle_energy + load_energy."""
    hourly = server_instances.keyed_by(SERVER).joined(
        parameters(server_hardware, SERVER, "idle_power", "power", "power_usage_effectiveness"), SERVER)

    def energy(server: Hourly) -> dict[str, np.ndarray]:
        pue, idle_power = server.parameter("power_usage_effectiveness"), server.parameter("idle_power")
        idle = idle_power * pue * server["nb_of_instances"]
        load = (server.parameter("power") - idle_power) * pue * server["raw_nb_of_instances"]
        return {"idle_energy": idle, "load_energy": load, "instances_energy": idle + load,
                "nb_of_instances": server["nb_of_instances"]}
    return hourly.per_distinct(["idle_power", "power", "power_usage_effectiveness"], energy).keyed_by(SERVER)


def server_footprints(server_energy: Hourly, server_hardware: pl.LazyFrame) -> Hourly:
    """Hourly energy (kWh) and footprints (kg) of each server: energies and instances scaled by intensities of
    the key table (a sweep over them adds key rows, not hours).

    Calculation: idle_use_footprint = idle_energy * CI; load_use_footprint = load_energy * CI;
    use_footprint = instances_energy * CI; instances_manufacturing_footprint = nb * cfm * 1 h / lifespan."""
    hourly = server_energy.joined(
        parameters(server_hardware, SERVER, "average_carbon_intensity", "kg_per_instance_hour"), SERVER)
    return hourly.scaling(**{
        "idle_use_footprint": ("idle_energy", "average_carbon_intensity"),
        "load_use_footprint": ("load_energy", "average_carbon_intensity"),
        "use_footprint": ("instances_energy", "average_carbon_intensity"),
        "instances_manufacturing_footprint": ("nb_of_instances", "kg_per_instance_hour")})


def server_resource_shortages(server_capacity: pl.LazyFrame) -> pl.LazyFrame:
    """Servers with no RAM or compute left for jobs once their own and their services' base consumption is
    reserved (efootprint's InsufficientCapacityError). Empty when all is well."""
    capacity = table_of(server_capacity)
    parts = []
    for resource, label in (("ram", "RAM"), ("compute", "compute")):
        # Rows picked on numpy columns: no query at all in the usual case, where none is short (a null, NaN here,
        # is not short).
        short = np.flatnonzero(capacity.get_column(f"available_{resource}_per_instance").to_numpy() <= 0)
        rows = capacity[pl.Series(short, dtype=pl.UInt32)] if len(short) else capacity.clear()
        parts.append(frame_of([*(rows.get_column(c) for c in SERVER),
                               pl.Series("resource", [label] * rows.height, dtype=pl.String),
                               rows.get_column(f"usable_{resource}_per_instance").alias("available"),
                               rows.get_column(f"occupied_{resource}_per_instance").alias("requested")]))
    return lazy_table(pl.concat(parts))


def server_fleet_shortages(server_instances: Hourly) -> pl.DataFrame:
    """On-premise servers whose peak need is above their fixed number of instances. Empty when all is well."""
    keys = server_instances.keys
    # Rows picked on numpy columns: no query at all in the usual case, where none is short.
    short = np.flatnonzero((keys["server_type"].to_numpy() == "on-premise")
                           & (keys["peak_nb_of_instances"].to_numpy() > keys["fixed_nb_of_instances"].to_numpy()))
    short = keys[short].unique(SERVER, keep="first", maintain_order=True) if len(short) else keys.clear()
    return frame_of([*(short.get_column(c) for c in SERVER),
                     pl.Series("resource", ["number of instances"] * short.height, dtype=pl.String),
                     short.get_column("fixed_nb_of_instances").alias("available"),
                     short.get_column("peak_nb_of_instances").alias("requested")])
