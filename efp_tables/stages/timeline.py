"""Operations along the hour axis shared by the stages. Hourly frames are long: key columns, `hour` (Int64
hours since 1970-01-01 UTC) and `value`. A missing hour means 0, so summing frames is a group-by: the union
of hour ranges comes for free."""
from __future__ import annotations

import numpy as np
import polars as pl

HOUR = "hour"
VALUE = "value"
# Offsets are sums of float hours (20 min + 20 min + 20 min): forgive float noise before taking whole hours.
_WHOLE_HOUR_SLACK = 1e-9


def whole_hours(hours: pl.Expr) -> pl.Expr:
    """floor() of a duration in hours, robust to float noise just under a whole hour."""
    return (hours + _WHOLE_HOUR_SLACK).floor().cast(pl.Int64)


def summed(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Sum of hourly series over everything not in `keys` (union of hour ranges)."""
    return frame.group_by(*keys, HOUR).agg(pl.col(VALUE).sum())


def scaled(frame: pl.LazyFrame, factors: pl.LazyFrame, on: list[str], factor: pl.Expr) -> pl.LazyFrame:
    """Each hour of `frame` times a per-key scalar taken from `factors`."""
    return (frame.join(factors, on=on, how="inner")
            .with_columns((pl.col(VALUE) * factor).alias(VALUE))
            .select(*[c for c in frame.collect_schema().names()]))


def parallel_occurrences(starts: pl.LazyFrame, durations: pl.LazyFrame, keys: list[str], on: list[str],
                         duration: str) -> pl.LazyFrame:
    """Average number of events in progress per hour, for events that start at the beginning of their hour and
    last `duration` hours (efootprint's compute_nb_occurrences_in_parallel).

    Calculation: y[t] = sum_{k<F} x[t-k] + r * x[t-F], with F = floor(d), r = d - F; empty when d = 0.

    `durations` holds `duration` per `on` key; the output has `keys` + hour + value.
    """
    kernel = (durations.select(*on, pl.col(duration).alias("_d"))
              .with_columns(_full=pl.col("_d").floor().cast(pl.Int64))
              .with_columns(_lag=pl.int_ranges(0, pl.col("_full") + 1, dtype=pl.Int64))
              .explode("_lag")
              .with_columns(_w=pl.when(pl.col("_lag") < pl.col("_full")).then(1.0)
                            .otherwise(pl.col("_d") - pl.col("_full")))
              .filter(pl.col("_w") > 0)
              .select(*on, "_lag", "_w"))
    return (starts.join(kernel, on=on, how="inner")
            .select(*keys, (pl.col(HOUR) + pl.col("_lag")).alias(HOUR), (pl.col(VALUE) * pl.col("_w")).alias(VALUE))
            .group_by(*keys, HOUR).agg(pl.col(VALUE).sum()))


def dense(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """The same series with every hour between each key's first and last hour present (0 where missing)."""
    grid = (frame.group_by(*keys).agg(_lo=pl.col(HOUR).min(), _hi=pl.col(HOUR).max())
            .select(*keys, pl.int_ranges("_lo", pl.col("_hi") + 1, dtype=pl.Int64).alias(HOUR))
            .explode(HOUR))
    return (grid.join(frame.select(*keys, HOUR, VALUE), on=[*keys, HOUR], how="left")
            .with_columns(pl.col(VALUE).fill_null(0.0)))


def trailing_window_sum(frame: pl.LazyFrame, windows: pl.LazyFrame, keys: list[str], on: list[str],
                        width: str, dtype: type[pl.DataType] = pl.Float64) -> pl.LazyFrame:
    """Sum of the last `width` hours (the hour itself included) of each series, on the series' own grid,
    accumulated in `dtype`.

    Calculation: y[t] = sum_{k <= t} (x[k] - x[k - w]) (a running sum where what enters at k leaves at k + w)."""
    series = (dense(frame, keys).join(windows.select(*on, pl.col(width).alias("_w")), on=on, how="inner")
              .with_columns(pl.col(VALUE).cast(dtype)))
    leaving = series.select(*keys, (pl.col(HOUR) + pl.col("_w")).alias(HOUR), pl.col(VALUE).alias("_leaving"))
    return (series.join(leaving, on=[*keys, HOUR], how="left").sort(*keys, HOUR)
            .select(*keys, HOUR, _running_sum(pl.col(VALUE) - pl.col("_leaving").fill_null(0.0), dtype)
                    .over(keys).cast(pl.Float64).alias(VALUE)))


def _running_sum(values: pl.Expr, dtype) -> pl.Expr:
    if dtype == pl.Float64:
        return values.cum_sum()
    # Polars accumulates Float32 in double precision; numpy adds in float32, one value after the other.
    return values.map_batches(lambda s: pl.Series(np.cumsum(s.to_numpy(), dtype=np.float32)), return_dtype=dtype)
