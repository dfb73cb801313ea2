"""Usage side: patterns, journeys and steps, from local hourly occurrences to journeys in progress."""
from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytz

from efp_tables.stages.timeline import HOUR, VALUE, join, keyed, parallel_occurrences

_EPOCH = datetime(1970, 1, 1)


def _utc_offset_hours(row: dict) -> int:
    """Whole-hour UTC offset of a zone at a local wall-clock hour, rounded half to even like efootprint (one
    offset for the whole series: DST changes inside the period are ignored). At a clock change the hour is read
    as pytz's localize reads it (efootprint's own call): that follows pytz's DST flags, which no rule on
    Python's zoneinfo reproduces for every zone (Dublin, Casablanca, Almaty differ)."""
    local = _EPOCH + timedelta(hours=row["start"])
    offset = pytz.timezone(row["timezone"]).localize(local).utcoffset()
    return round(offset.total_seconds() / 3600)


def usage_pattern_clock(hourly_occurrences: pl.LazyFrame, usage_patterns: pl.LazyFrame,
                        countries: pl.LazyFrame) -> pl.LazyFrame:
    """Start hour, length and UTC offset of each pattern's local series.

    Calculation: k = round(utcoffset(country timezone at local start) in hours)."""
    keys = ["system_id", "usage_pattern_id"]
    # Only the timezone matters here: a swept carbon intensity must not multiply the clock.
    zones = countries.select("system_id", "country_id", "timezone").unique()
    series = hourly_occurrences.group_by(*keys).agg(start=pl.col(HOUR).min(), length=pl.len().cast(pl.Int64))
    clock = join(join(series, usage_patterns.select(*keyed(usage_patterns, keys), "country_id"), keys), zones,
                 ["system_id", "country_id"])
    return (clock.with_columns(utc_offset=pl.struct("start", "timezone").map_elements(
                _utc_offset_hours, return_dtype=pl.Int64))
            .select(*keyed(clock, keys), "start", "length", "utc_offset"))


def utc_hourly_occurrences(hourly_occurrences: pl.LazyFrame, usage_pattern_clock: pl.LazyFrame) -> pl.LazyFrame:
    """Pattern occurrences per UTC hour, on the same hour grid as the local series.

    Calculation: utc[i] = local[(i + k) mod N] (a circular rotation by the UTC offset k, as efootprint does)."""
    keys = ["system_id", "usage_pattern_id"]
    index = pl.col(HOUR) - pl.col("start")
    rotated = join(hourly_occurrences, usage_pattern_clock, keys)
    return (rotated.select(*keyed(rotated, keys), (pl.col("start") + (index - pl.col("utc_offset")).mod(pl.col("length"))).alias(HOUR),
                    pl.col("occurrences").alias(VALUE)))


def journey_starts(utc_hourly_occurrences: pl.LazyFrame, pattern_journeys: pl.LazyFrame) -> pl.LazyFrame:
    """Journeys started per UTC hour, per (pattern, journey).

    Calculation: B[up, j] = utc[up] * w[up, j]."""
    starts = join(utc_hourly_occurrences, pattern_journeys.select(*keyed(pattern_journeys, [
        "system_id", "usage_pattern_id", "journey_id"]), "weight"), ["system_id", "usage_pattern_id"])
    return starts.select(*keyed(starts, ["system_id", "usage_pattern_id", "journey_id"]), HOUR,
                         (pl.col(VALUE) * pl.col("weight")).alias(VALUE))


def journey_step_windows(journey_steps: pl.LazyFrame, usage_journey_steps: pl.LazyFrame) -> pl.LazyFrame:
    """Where each step sits in its journey: offsets (hours) of its start and end.

    Calculation: end[j, s] = sum over steps up to s (journey order) of n[j, s'] * t[s']; start = end - n * t."""
    steps = join(journey_steps, usage_journey_steps.select(*keyed(usage_journey_steps, ["system_id", "step_id"]),
                                                           "user_time_spent"), ["system_id", "step_id"])
    journey = keyed(steps, ["system_id", "journey_id"])
    return (steps.sort(*journey, "position")
            .with_columns(_time=pl.col("weight") * pl.col("user_time_spent"))
            .with_columns(end_offset=pl.col("_time").cum_sum().over(journey))
            .with_columns(start_offset=pl.col("end_offset") - pl.col("_time"))
            .select(*keyed(steps, ["system_id", "journey_id", "step_id"]), "weight", "start_offset", "end_offset"))


def journey_duration(journey_step_windows: pl.LazyFrame) -> pl.LazyFrame:
    """UsageJourney.duration, hours.

    Calculation: duration[j] = sum over steps of n[j, s] * t[s]."""
    return (journey_step_windows.group_by(*keyed(journey_step_windows, ["system_id", "journey_id"]))
            .agg(duration=pl.col("end_offset").max()))


def nb_usage_journeys_in_parallel_per_usage_pattern(journey_starts: pl.LazyFrame,
                                                     journey_duration: pl.LazyFrame) -> pl.LazyFrame:
    """UsageJourney.nb_usage_journeys_in_parallel_per_usage_pattern: journeys in progress per hour.

    Calculation: A(B[up, j], duration[j])."""
    keys = ["system_id", "journey_id"]
    return parallel_occurrences(journey_starts, journey_duration, [*keys, "usage_pattern_id"], keys, "duration")


def step_hourly_avg_occurrences_per_usage_coordinate(journey_starts: pl.LazyFrame,
                                                      journey_step_windows: pl.LazyFrame) -> pl.LazyFrame:
    """UsageJourneyStep.hourly_avg_occurrences_per_usage_coordinate: journeys currently inside the step.

    Calculation: max(A(B[up, j], end[j, s]) - A(B[up, j], start[j, s]), 0)."""
    keys = ["system_id", "usage_pattern_id", "journey_id", "step_id"]
    steps = ["system_id", "journey_id", "step_id"]
    starts = join(journey_starts, journey_step_windows.select(*keyed(journey_step_windows, steps)),
                  ["system_id", "journey_id"])
    windows = journey_step_windows.select(*keyed(journey_step_windows, steps), "start_offset", "end_offset")
    in_progress = parallel_occurrences(starts, windows, keys, steps, ["end_offset", "start_offset"])
    return in_progress.select(*keyed(in_progress, keys), HOUR, (pl.col("end_offset") - pl.col("start_offset"))
                              .clip(lower_bound=0.0).alias(VALUE))
