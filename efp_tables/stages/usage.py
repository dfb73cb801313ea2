"""Usage side: patterns, journeys and steps, from local hourly occurrences to journeys in progress."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytz

from efp_tables.stages.hourly import FIRST, LAST, Hourly, in_progress, kernel_reach
from efp_tables.stages.timeline import VALUE, join, keyed, parameters, table_of

_EPOCH = datetime(1970, 1, 1)


def _utc_offset_hours(row: dict) -> int:
    """Whole-hour UTC offset of a zone at a local wall-clock hour, rounded half to even like efootprint (one
    offset for the whole series: DST changes inside the period are ignored). At a clock change the hour is read
    as pytz's localize reads it (efootprint's own call): that follows pytz's DST flags, which no rule on
    Python's zoneinfo reproduces for every zone (Dublin, Casablanca, Almaty differ)."""
    local = _EPOCH + timedelta(hours=row["start"])
    offset = pytz.timezone(row["timezone"]).localize(local).utcoffset()
    return round(offset.total_seconds() / 3600)


def local_hourly_occurrences(hourly_occurrences: pl.LazyFrame) -> Hourly:
    """Pattern occurrences per local hour, as dense series. Calculation: the input series."""
    return Hourly.from_long(table_of(hourly_occurrences), ["system_id", "usage_pattern_id"],
                            ["occurrences"]).only(**{VALUE: "occurrences"})


def usage_pattern_clock(local_hourly_occurrences: Hourly, usage_patterns: pl.LazyFrame,
                        countries: pl.LazyFrame) -> pl.LazyFrame:
    """Start hour, length and UTC offset of each pattern's local series.

    Calculation: k = round(utcoffset(country timezone at local start) in hours)."""
    keys = ["system_id", "usage_pattern_id"]
    # Only the timezone matters here: a swept carbon intensity must not multiply the clock.
    zones = countries.select("system_id", "country_id", "timezone").unique(maintain_order=True)
    series = local_hourly_occurrences.keys.lazy().select(
        *keys, pl.col(FIRST).alias("start"), (pl.col(LAST) - pl.col(FIRST) + 1).alias("length"))
    clock = join(join(series, usage_patterns.select(*keyed(usage_patterns, keys), "country_id"), keys), zones,
                 ["system_id", "country_id"])
    return (clock.with_columns(utc_offset=pl.struct("start", "timezone").map_elements(
                _utc_offset_hours, return_dtype=pl.Int64))
            .select(*keyed(clock, keys), "start", "length", "utc_offset"))


def utc_hourly_occurrences(local_hourly_occurrences: Hourly, usage_pattern_clock: pl.LazyFrame) -> Hourly:
    """Pattern occurrences per UTC hour, on the same hour grid as the local series.

    Calculation: utc[i] = local[(i + k) mod N] (a circular rotation by the UTC offset k, as efootprint does)."""
    pattern = ["system_id", "usage_pattern_id"]
    local = local_hourly_occurrences.joined(parameters(usage_pattern_clock, pattern, "length", "utc_offset"), pattern)

    def rotated(distinct: Hourly) -> dict[str, np.ndarray]:
        first, _ = distinct.spans()
        at, length = first - distinct.start, distinct.keys["length"].to_numpy()
        shift = distinct.keys["utc_offset"].to_numpy() % np.maximum(length, 1)
        values, out = distinct[VALUE], np.zeros((distinct.height, distinct.width))
        # Series sharing a span and an offset (most of a portfolio's) rotate together: two slice copies each.
        for a, n, k in np.unique(np.stack([at, length, shift], axis=1), axis=0):
            rows = np.flatnonzero((at == a) & (length == n) & (shift == k))
            out[rows, a:a + n - k] = values[rows, a + k:a + n]
            out[rows, a + n - k:a + n] = values[rows, a:a + k]
        return {VALUE: out}
    return local.per_distinct(["length", "utc_offset"], rotated).keyed_by(pattern)


def journey_starts(utc_hourly_occurrences: Hourly, pattern_journeys: pl.LazyFrame) -> Hourly:
    """Journeys started per UTC hour, per (pattern, journey).

    Calculation: B[up, j] = utc[up] * w[up, j]."""
    starts = utc_hourly_occurrences.joined(parameters(
        pattern_journeys, ["system_id", "usage_pattern_id", "journey_id"], "weight"), ["system_id", "usage_pattern_id"])
    return starts.per_distinct(["weight"], lambda distinct: {
        VALUE: distinct[VALUE] * distinct.parameter("weight")}).keyed_by(["system_id", "usage_pattern_id", "journey_id"])


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
    return (journey_step_windows.group_by(*keyed(journey_step_windows, ["system_id", "journey_id"]), maintain_order=True)
            .agg(duration=pl.col("end_offset").max()))


def nb_usage_journeys_in_parallel_per_usage_pattern(journey_starts: Hourly, journey_duration: pl.LazyFrame) -> Hourly:
    """UsageJourney.nb_usage_journeys_in_parallel_per_usage_pattern: journeys in progress per hour.

    Calculation: A(B[up, j], duration[j])."""
    starts = journey_starts.joined(journey_duration, ["system_id", "journey_id"])
    return starts.in_progress("duration").keyed_by(
        ["system_id", "journey_id", "usage_pattern_id"])


def step_hourly_avg_occurrences_per_usage_coordinate(journey_starts: Hourly,
                                                      journey_step_windows: pl.LazyFrame) -> Hourly:
    """UsageJourneyStep.hourly_avg_occurrences_per_usage_coordinate: journeys currently inside the step.

    Calculation: max(A(B[up, j], end[j, s]) - A(B[up, j], start[j, s]), 0)."""
    starts = journey_starts.joined(journey_step_windows.select(
        *keyed(journey_step_windows, ["system_id", "journey_id", "step_id"]), "start_offset", "end_offset"),
        ["system_id", "journey_id"])
    spread = starts.per_distinct(["start_offset", "end_offset"], lambda distinct: {VALUE: _inside(distinct)})
    reach = np.maximum(kernel_reach(starts.keys["end_offset"].to_numpy()),
                       kernel_reach(starts.keys["start_offset"].to_numpy()))
    return spread.grown(reach, spread.blocks).keyed_by(["system_id", "usage_pattern_id", "journey_id", "step_id"])


def _inside(starts: Hourly) -> np.ndarray:
    span = starts.span_columns()
    until_end, _ = in_progress(starts[VALUE], starts.keys["end_offset"].to_numpy(), *span)
    until_start, _ = in_progress(starts[VALUE], starts.keys["start_offset"].to_numpy(), *span)
    inside = np.zeros((starts.height, max(until_end.shape[1], until_start.shape[1])))
    inside[:, :until_end.shape[1]] += until_end
    inside[:, :until_start.shape[1]] -= until_start
    return np.clip(inside, 0.0, None)
