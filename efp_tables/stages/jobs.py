"""Jobs: per-invocation parameters, then invocations per hour, in progress per hour, and the data they move."""
from __future__ import annotations

import polars as pl

from efp_tables.stages.timeline import HOUR, VALUE, join, keyed, parallel_occurrences, parameters, summed, whole_hours

JOB = ["system_id", "job_id"]
COORDINATE = ["system_id", "job_id", "usage_pattern_id", "journey_id", "step_id"]
PER_PATTERN = ["system_id", "job_id", "usage_pattern_id"]
_BITS_PER_MEGABYTE = 8e6


def job_parameters(jobs: pl.LazyFrame, services: pl.LazyFrame) -> pl.LazyFrame:
    """Per-invocation needs of every job. Plain jobs give them; a VideoStreamingJob derives them from its stream
    and its service.

    Calculation (video): bitrate = W * H * bits_per_pixel * refresh_rate; data_transferred = video_duration *
    bitrate; compute_needed = static_delivery_cpu_cost * bitrate; ram_needed = ram_buffer_per_user;
    request_duration = video_duration; server = service.server."""
    size = pl.col("resolution").str.extract_groups(r"\((\d+)\s*x\s*(\d+)\)")
    pixels = size.struct.field("1").cast(pl.Float64) * size.struct.field("2").cast(pl.Float64)
    bitrate = pixels * pl.col("bits_per_pixel") * pl.col("refresh_rate") / _BITS_PER_MEGABYTE  # MB/s
    video = pl.col("job_class") == "VideoStreamingJob"
    service_cols = services.select(*keyed(services, ["system_id", "service_id"]),
                                   pl.col("server_id").alias("_service_server"),
                                   "bits_per_pixel", "static_delivery_cpu_cost", "ram_buffer_per_user")
    both = join(jobs, service_cols, ["system_id", "service_id"], how="left")
    return (both.with_columns(dynamic_bitrate=pl.when(video).then(bitrate))
            .select(
                *keyed(both, JOB), "name", "job_class", "service_id",
                pl.when(video).then(pl.col("_service_server")).otherwise(pl.col("server_id")).alias("server_id"),
                pl.when(video).then(pl.col("video_duration") * 3600 * pl.col("dynamic_bitrate"))
                .otherwise(pl.col("data_transferred")).alias("data_transferred"),
                "data_stored",
                pl.when(video).then(pl.col("video_duration")).otherwise(pl.col("request_duration"))
                .alias("request_duration"),
                pl.when(video).then(pl.col("static_delivery_cpu_cost") * pl.col("dynamic_bitrate"))
                .otherwise(pl.col("compute_needed")).alias("compute_needed"),
                pl.when(video).then(pl.col("ram_buffer_per_user")).otherwise(pl.col("ram_needed")).alias("ram_needed"),
                "dynamic_bitrate"))


def job_usage_paths(pattern_journeys: pl.LazyFrame, journey_step_windows: pl.LazyFrame,
                    step_jobs: pl.LazyFrame) -> pl.LazyFrame:
    """Every (pattern, journey, step) where each job is used: the invocations per journey started (`_times`)
    and the whole hours from the journey's start to the step's (`_shift`).

    Calculation: _times = w[up, j] * n[j, s] * m[s, J]; _shift = floor(start[j, s])."""
    paths = join(join(
        pattern_journeys.select(*keyed(pattern_journeys, ["system_id", "usage_pattern_id", "journey_id"]),
                                pl.col("weight").alias("_w")),
        journey_step_windows.select(*keyed(journey_step_windows, ["system_id", "journey_id", "step_id"]),
                                    pl.col("weight").alias("_n"), "start_offset"), ["system_id", "journey_id"]),
        step_jobs.select(*keyed(step_jobs, ["system_id", "step_id", "job_id"]), pl.col("weight").alias("_m")),
        ["system_id", "step_id"])
    return paths.select(*keyed(paths, COORDINATE), (pl.col("_w") * pl.col("_n") * pl.col("_m")).alias("_times"),
                        whole_hours(pl.col("start_offset")).alias("_shift"))


def job_hourly_occurrences_per_coordinate(utc_hourly_occurrences: pl.LazyFrame,
                                          job_usage_paths: pl.LazyFrame) -> pl.LazyFrame:
    """Job starts per UTC hour for each (pattern, journey, step) where the job is used. All the step's
    invocations fire in the hour the step starts, a whole number of hours after the journey start.

    Calculation: O[J, up, j, s][t + floor(start[j, s])] = utc[up][t] * w[up, j] * n[j, s] * m[s, J]."""
    terms = join(utc_hourly_occurrences, job_usage_paths, ["system_id", "usage_pattern_id"])
    return terms.select(*keyed(terms, COORDINATE), (pl.col(HOUR) + pl.col("_shift")).alias(HOUR),
                        (pl.col(VALUE) * pl.col("_times")).alias(VALUE))


def job_hourly_occurrences_per_usage_pattern(job_hourly_occurrences_per_coordinate: pl.LazyFrame,
                                             job_usage_paths: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_occurrences_per_usage_pattern. Calculation: sum over the pattern's coordinates."""
    return summed(job_hourly_occurrences_per_coordinate, PER_PATTERN, job_usage_paths)


def job_hourly_avg_occurrences_per_coordinate(job_hourly_occurrences_per_coordinate: pl.LazyFrame,
                                              job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_avg_occurrences_per_coordinate. Calculation: A(O[J, up, j, s], request_duration[J])."""
    return parallel_occurrences(job_hourly_occurrences_per_coordinate,
                                parameters(job_parameters, JOB, "request_duration"), COORDINATE, JOB, "request_duration")


def job_hourly_avg_occurrences_per_usage_pattern(job_hourly_occurrences_per_usage_pattern: pl.LazyFrame,
                                                 job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_avg_occurrences_per_usage_pattern: invocations in progress per hour.
    Calculation: A(O[J, up], request_duration[J])."""
    return parallel_occurrences(job_hourly_occurrences_per_usage_pattern,
                                parameters(job_parameters, JOB, "request_duration"), PER_PATTERN, JOB, "request_duration")


def _per_hour_of_processing(quantity: str) -> pl.Expr:
    # Each invocation's quantity is spread over the hours it runs, in proportion to its presence.
    return pl.col(VALUE) * (pl.col(quantity) / pl.col("request_duration"))


def job_hourly_volumes_per_usage_pattern(job_hourly_avg_occurrences_per_usage_pattern: pl.LazyFrame,
                                         job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Invocations in progress and data stored (megabyte_stored) per hour and pattern, side by side (one join,
    and one group-by for their sums across patterns). Data transferred has its own stage, so that a sweep of it
    does not repeat what it does not change (storage, servers).

    Calculation: avg[J, up]; avg[J, up] * data_stored[J] / request_duration[J] (per hour)."""
    volumes = join(job_hourly_avg_occurrences_per_usage_pattern,
                   parameters(job_parameters, JOB, "data_stored", "request_duration"), JOB)
    return volumes.select(*keyed(volumes, PER_PATTERN), HOUR, pl.col(VALUE).alias("avg_occurrences"),
                          _per_hour_of_processing("data_stored").alias("data_stored"))


def job_hourly_data_transferred_per_usage_pattern(job_hourly_avg_occurrences_per_usage_pattern: pl.LazyFrame,
                                                  job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_data_transferred_per_usage_pattern, megabyte.
    Calculation: avg[J, up] * data_transferred[J] / request_duration[J] (per hour)."""
    transferred = join(job_hourly_avg_occurrences_per_usage_pattern,
                       parameters(job_parameters, JOB, "data_transferred", "request_duration"), JOB)
    return transferred.select(*keyed(transferred, PER_PATTERN), HOUR,
                              _per_hour_of_processing("data_transferred").alias(VALUE))


def job_hourly_data_stored_per_usage_pattern(job_hourly_volumes_per_usage_pattern: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_data_stored_per_usage_pattern, megabyte_stored.
    Calculation: avg[J, up] * data_stored[J] / request_duration[J] (per hour)."""
    volumes = job_hourly_volumes_per_usage_pattern
    return volumes.select(*keyed(volumes, PER_PATTERN), HOUR, pl.col("data_stored").alias(VALUE))


def job_hourly_data_transferred_per_coordinate(job_hourly_avg_occurrences_per_coordinate: pl.LazyFrame,
                                               job_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Job.hourly_data_transferred_per_coordinate, megabyte.
    Calculation: avg[J, up, j, s] * data_transferred[J] / request_duration[J] (per hour)."""
    transferred = join(job_hourly_avg_occurrences_per_coordinate,
                       parameters(job_parameters, JOB, "data_transferred", "request_duration"), JOB)
    return transferred.select(*keyed(transferred, COORDINATE), HOUR,
                              _per_hour_of_processing("data_transferred").alias(VALUE))


def job_hourly_volumes_across_usage_patterns(job_hourly_volumes_per_usage_pattern: pl.LazyFrame,
                                             job_usage_paths: pl.LazyFrame) -> pl.LazyFrame:
    """Invocations in progress and data stored per hour, each summed over patterns (one group-by for both).
    Calculation: sum over patterns of job_hourly_volumes_per_usage_pattern."""
    return summed(job_hourly_volumes_per_usage_pattern, JOB, job_usage_paths.select(PER_PATTERN).unique(),
                  ["avg_occurrences", "data_stored"])


def job_hourly_avg_occurrences_across_usage_patterns(
        job_hourly_volumes_across_usage_patterns: pl.LazyFrame) -> pl.LazyFrame:
    """Calculation: sum over patterns of avg[J, up]."""
    volumes = job_hourly_volumes_across_usage_patterns
    return volumes.select(*keyed(volumes, JOB), HOUR, pl.col("avg_occurrences").alias(VALUE))


def job_hourly_data_transferred_across_usage_patterns(
        job_hourly_data_transferred_per_usage_pattern: pl.LazyFrame, job_usage_paths: pl.LazyFrame) -> pl.LazyFrame:
    """Calculation: sum over patterns of data_transferred[J, up]."""
    return summed(job_hourly_data_transferred_per_usage_pattern, JOB, job_usage_paths.select(PER_PATTERN).unique())


def job_hourly_data_stored_across_usage_patterns(
        job_hourly_volumes_across_usage_patterns: pl.LazyFrame) -> pl.LazyFrame:
    """Calculation: sum over patterns of data_stored[J, up]."""
    volumes = job_hourly_volumes_across_usage_patterns
    return volumes.select(*keyed(volumes, JOB), HOUR, pl.col("data_stored").alias(VALUE))
