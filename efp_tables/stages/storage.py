"""Storage: data written by the jobs of its server, kept for the storage duration, plus the base need."""
from __future__ import annotations

import polars as pl

from efp_tables.stages.timeline import HOUR, VALUE, dense, join, keyed, parameters, summed, trailing_window_sum

STORAGE = ["system_id", "storage_id"]
_TB_PER_MB = 1e-6


def storage_jobs(server_hardware: pl.LazyFrame, job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Which jobs write to which storage: the jobs of the storage's server (direct and through services)."""
    links = join(parameters(job_parameters, ["system_id", "job_id"], "server_id"),
                 parameters(server_hardware.filter(pl.col("storage_id").is_not_null()), ["system_id", "server_id"],
                            "storage_id", pl.col("server_type").alias("host_server_type")), ["system_id", "server_id"])
    return links.select(*keyed(links, STORAGE), "job_id", "host_server_type")


def full_cumulative_storage_need_per_job(job_hourly_data_stored_across_usage_patterns: pl.LazyFrame,
                                         storage_jobs: pl.LazyFrame, storages: pl.LazyFrame) -> pl.LazyFrame:
    """Storage.full_cumulative_storage_need_per_job (terabyte_stored): replicated data written by a job and
    not yet dumped (data written at hour k leaves at k + d).

    Calculation: rate = data_stored_across[J] * replication; d = ceil(data_storage_duration in hours);
    need[t] = sum_{k <= t} (rate[k] - rate[k - d]).

    Computed in float32, as efootprint does: the storage's baseline share depends on the fractional part of
    the cumulative need (ceil(need) - need), which at tens of thousands of TB float32 only keeps to about
    0.01 TB. In float64 the baseline footprint would differ from efootprint's by up to 1 % in most hours."""
    params = parameters(storages, STORAGE,
                        pl.col("data_replication_factor").cast(pl.Float32).alias("_replication"),
                        pl.col("data_storage_duration").ceil().cast(pl.Int64).alias("_dump_after"))
    rates = join(join(job_hourly_data_stored_across_usage_patterns,
                      parameters(storage_jobs, [*STORAGE, "job_id"]), ["system_id", "job_id"]), params, STORAGE)
    rates = rates.select(*keyed(rates, [*STORAGE, "job_id"]), HOUR,
                         ((pl.col(VALUE).cast(pl.Float32) * pl.col("_replication"))
                          * pl.lit(_TB_PER_MB, dtype=pl.Float32)).alias(VALUE))
    return trailing_window_sum(rates, params, [*STORAGE, "job_id"], STORAGE, "_dump_after", dtype=pl.Float32)


def job_written_cumulative_storage_need(full_cumulative_storage_need_per_job: pl.LazyFrame) -> pl.LazyFrame:
    """Storage.job_written_cumulative_storage_need. Calculation: sum over the storage's jobs (float32, see
    full_cumulative_storage_need_per_job)."""
    return summed(full_cumulative_storage_need_per_job.with_columns(pl.col(VALUE).cast(pl.Float32)), STORAGE)


def storage_instances(job_written_cumulative_storage_need: pl.LazyFrame, storages: pl.LazyFrame,
                      storage_jobs: pl.LazyFrame) -> pl.LazyFrame:
    """Storage needs and instances per hour.

    Calculation: full = job_written + base_storage_need (no job data: no series at all);
    raw = full / storage_capacity; nb = raw (serverless host), fixed_nb_of_instances if set, else ceil(raw)."""
    host = parameters(storage_jobs, STORAGE, "host_server_type").unique()
    hourly = join(join(dense(job_written_cumulative_storage_need, STORAGE, [VALUE])
                       .rename({VALUE: "job_written_cumulative_storage_need"}),
                       parameters(storages, STORAGE, "storage_capacity", "base_storage_need", "fixed_nb_of_instances"),
                       STORAGE), host, STORAGE, how="left")
    storage = keyed(hourly, STORAGE)
    return (hourly
            .with_columns(full_cumulative_storage_need=(pl.col("job_written_cumulative_storage_need")
                                                        + pl.col("base_storage_need").cast(pl.Float32))
                          .cast(pl.Float64),
                          job_written_cumulative_storage_need=pl.col("job_written_cumulative_storage_need")
                          .cast(pl.Float64))
            .with_columns(raw_nb_of_instances=pl.col("full_cumulative_storage_need") / pl.col("storage_capacity"))
            .with_columns(nb_of_instances=pl.when(pl.col("host_server_type") == "serverless")
                          .then(pl.col("raw_nb_of_instances"))
                          .otherwise(pl.coalesce(pl.col("fixed_nb_of_instances"), pl.col("raw_nb_of_instances").ceil())),
                          peak_nb_of_instances=pl.col("raw_nb_of_instances").ceil().max().over(storage))
            .select(*storage, HOUR, "job_written_cumulative_storage_need", "full_cumulative_storage_need",
                    "raw_nb_of_instances", "nb_of_instances", "peak_nb_of_instances", "fixed_nb_of_instances",
                    "host_server_type", "storage_capacity", "base_storage_need"))


def storage_manufacturing_intensity(storage_carbon_footprint_manufacturing: pl.LazyFrame,
                                    storages: pl.LazyFrame) -> pl.LazyFrame:
    """kg CO2e per storage instance and hour (`kg_per_instance_hour`): its manufacturing footprint spread over
    its lifespan. Calculation: cfm * 1 h / lifespan."""
    intensity = join(storage_carbon_footprint_manufacturing, parameters(storages, STORAGE, "lifespan"), STORAGE)
    return intensity.select(*keyed(intensity, STORAGE), (pl.col(VALUE) / pl.col("lifespan")).alias(
        "kg_per_instance_hour"))


def storage_footprints(storage_instances: pl.LazyFrame, storage_manufacturing_intensity: pl.LazyFrame
                       ) -> pl.LazyFrame:
    """Storage.instances_manufacturing_footprint, storage_retention_manufacturing_footprint and
    storage_baseline_manufacturing_footprint (kg) per hour.

    Calculation: F = nb * kg_per_instance_hour; with P = nb * capacity: retention = F * job_written / P,
    baseline = F * (P - full + base) / P (0 where P = 0)."""
    provisioned = pl.col("nb_of_instances") * pl.col("storage_capacity")
    share = lambda part: pl.when(provisioned != 0).then(part / provisioned).otherwise(0.0)  # noqa: E731
    hourly = join(storage_instances, storage_manufacturing_intensity, STORAGE)
    footprint = pl.col("nb_of_instances") * pl.col("kg_per_instance_hour")
    return hourly.select(
        *keyed(hourly, STORAGE), HOUR, footprint.alias("instances_manufacturing_footprint"),
        (footprint * share(pl.col("job_written_cumulative_storage_need")))
        .alias("storage_retention_manufacturing_footprint"),
        (footprint * share(provisioned - pl.col("full_cumulative_storage_need") + pl.col("base_storage_need")))
        .alias("storage_baseline_manufacturing_footprint"))


def storage_fleet_shortages(storage_instances: pl.LazyFrame) -> pl.LazyFrame:
    """Storages whose peak need is above their fixed number of instances (not checked under a serverless
    server, whose storage follows the raw need)."""
    return (storage_instances.filter((pl.col("host_server_type") != "serverless")
                                     & (pl.col("peak_nb_of_instances") > pl.col("fixed_nb_of_instances")))
            .group_by(*STORAGE).agg(available=pl.col("fixed_nb_of_instances").first(),
                                    requested=pl.col("peak_nb_of_instances").first()))


def storage_carbon_footprint_manufacturing(storages: pl.LazyFrame) -> pl.LazyFrame:
    """Storage.carbon_footprint_manufacturing (kg per instance). Calculation: cfm_per_capacity * capacity."""
    return storages.select(*keyed(storages, STORAGE), (pl.col("carbon_footprint_manufacturing_per_storage_capacity")
                                                       * pl.col("storage_capacity")).alias(VALUE))
