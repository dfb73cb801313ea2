"""Jobs: per-invocation parameters, then invocations per hour, in progress per hour, and the data they move."""
from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from efp_tables.stages.hourly import Hourly, broadcast, row_tiles, stacked
from efp_tables.stages.timeline import VALUE, join, keyed, parameters, whole_hours

JOB = ["system_id", "job_id"]
COORDINATE = ["system_id", "job_id", "usage_pattern_id", "journey_id", "step_id"]
PER_PATTERN = ["system_id", "job_id", "usage_pattern_id"]
_BITS_PER_MEGABYTE = 8e6


def job_parameters(jobs: pl.LazyFrame, services: pl.LazyFrame, external_api_job_impacts: pl.LazyFrame) -> pl.LazyFrame:
    """Per-invocation needs of every job. Plain jobs give them; a VideoStreamingJob derives them from its stream
    and its service; an external API job has its request's (stages.external_apis) and no server, compute or RAM.

    Calculation (video): bitrate = W * H * bits_per_pixel * refresh_rate; data_transferred = video_duration *
    bitrate; compute_needed = static_delivery_cpu_cost * bitrate; ram_needed = ram_buffer_per_user;
    request_duration = video_duration; server = service.server."""
    service_cols = services.select(*keyed(services, ["system_id", "service_id"]),
                                   pl.col("server_id").alias("_service_server"),
                                   "bits_per_pixel", "static_delivery_cpu_cost", "ram_buffer_per_user")
    requests = external_api_job_impacts.select(*keyed(external_api_job_impacts, JOB),
                                               _api_data_transferred="data_transferred",
                                               _api_request_duration="request_duration")
    both = join(join(jobs, service_cols, ["system_id", "service_id"], how="left"), requests, JOB, how="left")
    bitrate, columns = _per_invocation()
    return both.with_columns(dynamic_bitrate=bitrate).select(*keyed(both, JOB), *columns)


@cache
def _per_invocation() -> tuple[pl.Expr, list[pl.Expr | str]]:
    """job_parameters' video bitrate and columns, as expressions built once (they never change, and building them
    costs as much as running them on a model's few jobs)."""
    size = pl.col("resolution").str.extract_groups(r"\((\d+)\s*x\s*(\d+)\)")
    pixels = size.struct.field("1").cast(pl.Float64) * size.struct.field("2").cast(pl.Float64)
    bitrate = pixels * pl.col("bits_per_pixel") * pl.col("refresh_rate") / _BITS_PER_MEGABYTE  # MB/s
    video = pl.col("job_class") == "VideoStreamingJob"
    external = pl.col("_api_request_duration").is_not_null()
    return pl.when(video).then(bitrate), [
        "name", "job_class", "service_id",
        pl.when(video).then(pl.col("_service_server")).otherwise(pl.col("server_id")).alias("server_id"),
        pl.when(video).then(pl.col("video_duration") * 3600 * pl.col("dynamic_bitrate"))
        .when(external).then(pl.col("_api_data_transferred"))
        .otherwise(pl.col("data_transferred")).alias("data_transferred"),
        "data_stored",
        pl.when(video).then(pl.col("video_duration")).when(external).then(pl.col("_api_request_duration"))
        .otherwise(pl.col("request_duration")).alias("request_duration"),
        pl.when(video).then(pl.col("static_delivery_cpu_cost") * pl.col("dynamic_bitrate"))
        .when(external).then(0.0).otherwise(pl.col("compute_needed")).alias("compute_needed"),
        pl.when(video).then(pl.col("ram_buffer_per_user")).when(external).then(0.0)
        .otherwise(pl.col("ram_needed")).alias("ram_needed"),
        "dynamic_bitrate"]


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


def job_hourly_occurrences_per_coordinate(utc_hourly_occurrences: Hourly, job_usage_paths: pl.LazyFrame,
                                          edge_job_hourly_occurrences_per_coordinate: Hourly) -> Hourly:
    """Job starts per UTC hour for each (pattern, journey, step) where the job is used. All the step's
    invocations fire in the hour the step starts, a whole number of hours after the journey start. Then the
    edge coordinates (edge pattern, recurrent server need; see stages.edge).

    Calculation: O[J, up, j, s][t + floor(start[j, s])] = utc[up][t] * w[up, j] * n[j, s] * m[s, J]."""
    terms = utc_hourly_occurrences.joined(job_usage_paths, ["system_id", "usage_pattern_id"])
    # Once per distinct (pattern series, times, shift), not per coordinate or variant: a sweep of a step's time
    # changes the shift of the steps after it only.
    web = terms.shifted("_shift", scale="_times").keyed_by(COORDINATE)
    edge = edge_job_hourly_occurrences_per_coordinate
    if not edge.height:
        return web
    if not web.height:
        return edge
    return stacked(broadcast([web, edge]))  # a sweep of one side's inputs repeats the other's starts


def job_hourly_occurrences_per_usage_pattern(job_hourly_occurrences_per_coordinate: Hourly) -> Hourly:
    """Job.hourly_occurrences_per_usage_pattern. Calculation: sum over the pattern's coordinates."""
    return job_hourly_occurrences_per_coordinate.summed(PER_PATTERN)


def _in_progress(starts: Hourly, job_parameters: pl.LazyFrame, keys: list[str]) -> Hourly:
    starts = starts.joined(parameters(job_parameters, JOB, "request_duration"), JOB)
    return starts.in_progress("request_duration").keyed_by(keys)


def job_hourly_avg_occurrences_per_coordinate(job_hourly_occurrences_per_coordinate: Hourly,
                                              job_parameters: pl.LazyFrame) -> Hourly:
    """Job.hourly_avg_occurrences_per_coordinate. Calculation: A(O[J, up, j, s], request_duration[J])."""
    return _in_progress(job_hourly_occurrences_per_coordinate, job_parameters, COORDINATE)


def job_hourly_avg_occurrences_per_usage_pattern(job_hourly_occurrences_per_usage_pattern: Hourly,
                                                 job_parameters: pl.LazyFrame) -> Hourly:
    """Job.hourly_avg_occurrences_per_usage_pattern: invocations in progress per hour.
    Calculation: A(O[J, up], request_duration[J])."""
    return _in_progress(job_hourly_occurrences_per_usage_pattern, job_parameters, PER_PATTERN)


def _per_hour_of_processing(in_progress: Hourly, job_parameters: pl.LazyFrame, quantity: str,
                            keys: list[str]) -> Hourly:
    # Each invocation's quantity is spread over the hours it runs, in proportion to its presence.
    rates = in_progress.joined(parameters(job_parameters, JOB, quantity, "request_duration"), JOB)

    def per_hour(distinct: Hourly) -> dict[str, np.ndarray]:
        factor = distinct.parameter(quantity) / distinct.parameter("request_duration")
        out = np.empty((distinct.height, distinct.width))
        for tile in row_tiles(distinct.height, distinct.width):  # each tile's rows gathered into its place
            distinct.rows_of(VALUE, tile, out[tile])
            out[tile] *= factor[tile]
        return {VALUE: out}
    return rates.per_distinct([quantity, "request_duration"], per_hour, gathered=False).keyed_by(keys)


def job_hourly_data_transferred_per_usage_pattern(job_hourly_avg_occurrences_per_usage_pattern: Hourly,
                                                  job_parameters: pl.LazyFrame) -> Hourly:
    """Job.hourly_data_transferred_per_usage_pattern, megabyte.
    Calculation: avg[J, up] * data_transferred[J] / request_duration[J] (per hour)."""
    return _per_hour_of_processing(job_hourly_avg_occurrences_per_usage_pattern, job_parameters, "data_transferred",
                                   PER_PATTERN)


def job_hourly_data_stored_per_usage_pattern(job_hourly_avg_occurrences_per_usage_pattern: Hourly,
                                             job_parameters: pl.LazyFrame) -> Hourly:
    """Job.hourly_data_stored_per_usage_pattern, megabyte_stored.
    Calculation: avg[J, up] * data_stored[J] / request_duration[J] (per hour)."""
    return _per_hour_of_processing(job_hourly_avg_occurrences_per_usage_pattern, job_parameters, "data_stored",
                                   PER_PATTERN)


def job_hourly_data_transferred_per_coordinate(job_hourly_avg_occurrences_per_coordinate: Hourly,
                                               job_parameters: pl.LazyFrame) -> Hourly:
    """Job.hourly_data_transferred_per_coordinate, megabyte.
    Calculation: avg[J, up, j, s] * data_transferred[J] / request_duration[J] (per hour)."""
    return _per_hour_of_processing(job_hourly_avg_occurrences_per_coordinate, job_parameters, "data_transferred",
                                   COORDINATE)


def job_hourly_avg_occurrences_across_usage_patterns(job_hourly_avg_occurrences_per_usage_pattern: Hourly) -> Hourly:
    """Calculation: sum over patterns of avg[J, up]."""
    return job_hourly_avg_occurrences_per_usage_pattern.summed(JOB)


def job_hourly_data_transferred_across_usage_patterns(
        job_hourly_data_transferred_per_usage_pattern: Hourly) -> Hourly:
    """Calculation: sum over patterns of data_transferred[J, up]."""
    return job_hourly_data_transferred_per_usage_pattern.summed(JOB)


def job_hourly_data_stored_across_usage_patterns(job_hourly_data_stored_per_usage_pattern: Hourly) -> Hourly:
    """Calculation: sum over patterns of data_stored[J, up]."""
    return job_hourly_data_stored_per_usage_pattern.summed(JOB)
