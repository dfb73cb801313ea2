"""Operations along the hour axis shared by the stages. Hourly frames are long: key columns, `hour` (Int64
hours since 1970-01-01 UTC) and `value`. A missing hour means 0, so summing frames is a group-by: the union
of hour ranges comes for free."""
from __future__ import annotations

import numpy as np
import polars as pl

from efp_tables.engine import ENGINE

HOUR = "hour"
VALUE = "value"
# Sweeps: parameter p of a sweep is the column `variant_p` (index of its value). A table gets it only where an
# input varies; every stage keeps the dimensions of its inputs, and joins match on the dimensions both sides
# have, so what does not vary is computed once and broadcast.
DIMENSION = "variant_"
# Offsets are sums of float hours (20 min + 20 min + 20 min): forgive float noise before taking whole hours.
_WHOLE_HOUR_SLACK = 1e-9


def dimensions(*frames: pl.LazyFrame) -> list[str]:
    """The sweep dimensions present in any of the frames, in a stable order."""
    return sorted({c for frame in frames for c in frame.collect_schema().names() if c.startswith(DIMENSION)})


def keyed(frame: pl.LazyFrame, keys: list[str]) -> list[str]:
    """`keys` plus the frame's sweep dimensions."""
    return [*keys, *dimensions(frame)]


def join(left: pl.LazyFrame, right: pl.LazyFrame, on: list[str], how: str = "inner", **options) -> pl.LazyFrame:
    """A join on `on` and on the sweep dimensions both sides have (the others broadcast).

    In a left join, a left row must also exist for every value of the dimensions only the right side has, matched
    or not: it is first repeated over them (otherwise an unmatched row, a job with no service say, would get a
    null dimension and drop out of every later join on it)."""
    left_dims, right_dims = set(dimensions(left)), set(dimensions(right))
    shared = sorted(left_dims & right_dims)
    only_right = sorted(right_dims - left_dims)
    if how == "left" and only_right:
        left = left.join(right.select(only_right).unique(), how="cross")
        shared = sorted(right_dims)  # the left side now has them all; the right side has only its own
    return left.join(right, on=[*on, *shared], how=how, **options)


def parameters(table: pl.LazyFrame, keys: list[str], *columns: str | pl.Expr) -> pl.LazyFrame:
    """`keys` and `columns` of a small parameter table, with only the sweep dimensions along which those
    columns take different values: a carbon intensity sweep then does not repeat what only needs the
    utilization rate. (It reads the table's values, so use it on input-sized tables, never hourly frames.)"""
    selected = table.select(*keyed(table, keys), *columns)
    dims = dimensions(selected)
    if not dims:
        return selected
    frame = selected.collect(engine=ENGINE)
    # Checked on Python rows: the tables have tens of rows, where a Polars query per check costs far more.
    rows, names = frame.rows(), frame.columns
    key_at = [names.index(key) for key in keys]
    value_at = [at for at, name in enumerate(names) if name not in keys and name not in dims]
    kept, remaining = list(dims), list(range(len(rows)))
    for dim in dims:
        # A dimension can go when every key has one row per value of it, all with the same values.
        at, group_at = names.index(dim), key_at + [names.index(d) for d in kept if d != dim]
        groups: dict[tuple, list[int]] = {}
        for r in remaining:
            groups.setdefault(tuple(rows[r][i] for i in group_at), []).append(r)
        count = len({rows[r][at] for r in remaining})
        if groups and all(len(members) == count and len({tuple(rows[m][i] for i in value_at) for m in members}) == 1
                          for members in groups.values()):
            kept.remove(dim)
            remaining = [members[0] for members in groups.values()]
    if len(kept) == len(dims):
        return frame.lazy()
    return frame[sorted(remaining)].drop(d for d in dims if d not in kept).lazy()


def whole_hours(hours: pl.Expr) -> pl.Expr:
    """floor() of a duration in hours, robust to float noise just under a whole hour."""
    return (hours + _WHOLE_HOUR_SLACK).floor().cast(pl.Int64)


def summed(frame: pl.LazyFrame, keys: list[str], contributors: pl.LazyFrame | None = None,
           columns: list[str] = (VALUE,)) -> pl.LazyFrame:
    """Sum of hourly series over everything not in `keys` (union of hour ranges). `contributors`, a small table
    with a row per series summed (`keys` and what tells them apart), lets a sum with one series per key be the
    frame itself: no group-by (most jobs run in one step of one pattern)."""
    by = [*keyed(frame, keys), HOUR]
    if contributors is not None and _one_per_key(contributors, keys):
        return frame.select(*by, *columns)
    return frame.group_by(*by).agg(pl.col(columns).sum())


def _one_per_key(contributors: pl.LazyFrame, keys: list[str]) -> bool:
    counts = contributors.group_by(keyed(contributors, keys)).agg(_n=pl.len()).select(pl.col("_n").max())
    return (counts.collect(engine=ENGINE).item() or 0) <= 1


def dense(frame: pl.LazyFrame, keys: list[str], columns: list[str]) -> pl.LazyFrame:
    """The same series with every hour between each key's first and last hour present, `columns` 0 where the
    hour was missing. efootprint's sums align series on the union of their ranges, gaps included: where a
    value of 0 still matters downstream (a flat on-premise fleet, a storage's base need), make it a row."""
    keys = keyed(frame, keys)
    # Whole frame in, whole frame out, as trailing_window_sum: most series have no gap, and then the hour grid
    # and its join are skipped.
    return frame.map_batches(lambda rows: _dense(rows, keys, columns), schema=frame.collect_schema())


def _dense(rows: pl.DataFrame, keys: list[str], columns: list[str]) -> pl.DataFrame:
    spans = rows.group_by(keys).agg(_first=pl.col(HOUR).min(), _last=pl.col(HOUR).max(), _rows=pl.len())
    if (spans["_last"] - spans["_first"] + 1 == spans["_rows"]).all():
        return rows
    grid = (spans.select(*keys, pl.int_ranges("_first", pl.col("_last") + 1, dtype=pl.Int64).alias(HOUR))
            .explode(HOUR))
    return (grid.join(rows, on=[*keys, HOUR], how="left").with_columns(pl.col(columns).fill_null(0.0))
            .select(rows.columns))


def parallel_occurrences(starts: pl.LazyFrame, durations: pl.LazyFrame, keys: list[str], on: list[str],
                         duration: str | list[str]) -> pl.LazyFrame:
    """Average number of events in progress per hour, for events that start at the beginning of their hour and
    last `duration` hours (efootprint's compute_nb_occurrences_in_parallel).

    Calculation: y[t] = sum_{k<F} x[t-k] + r * x[t-F], with F = floor(d), r = d - F; empty when d = 0.

    `durations` holds `duration` per `on` key; `starts` has one row per `keys` + hour. The output has `keys` +
    hour + value, or with several durations one column per duration, named after it, on the union of their
    hours (0 where a duration has no term).
    """
    columns = [duration] if isinstance(duration, str) else duration
    floors = {column: pl.col(column).floor().cast(pl.Int64) for column in columns}
    lag = pl.col("_lag")
    # Kernel: the weight of each lag per duration (1 below F, r at F, 0 after), and how many lags each key has.
    kernel = (durations.select(*keyed(durations, on), *columns)
              .with_columns(_lag=pl.int_ranges(0, pl.max_horizontal(list(floors.values())) + 1, dtype=pl.Int64))
              .explode("_lag")
              .with_columns(pl.when(lag < floors[column]).then(1.0).when(lag == floors[column])
                            .then(pl.col(column) - floors[column]).otherwise(0.0).alias(column) for column in columns)
              .filter(pl.any_horizontal(pl.col(column) > 0 for column in columns))
              .with_columns(_lags=pl.len().over(keyed(durations, on))))
    spread = join(starts, kernel, on)
    keys = keyed(spread, keys)
    spread = spread.select(*keys, (pl.col(HOUR) + lag).alias(HOUR), *[(pl.col(VALUE) * pl.col(column)).alias(column)
                                                                 for column in columns], "_lags")
    # Events shorter than an hour (most jobs and steps) have a one-term kernel: their series is only shifted and
    # scaled, with nothing to sum.
    in_progress = pl.concat([
        spread.filter(pl.col("_lags") == 1).drop("_lags"),
        spread.filter(pl.col("_lags") > 1).group_by(*keys, HOUR).agg(pl.col(columns).sum())])
    return in_progress.rename({duration: VALUE}) if isinstance(duration, str) else in_progress


def trailing_window_sum(frame: pl.LazyFrame, windows: pl.LazyFrame, keys: list[str], on: list[str],
                        width: str, dtype: type[pl.DataType] = pl.Float64) -> pl.LazyFrame:
    """Sum of the last `width` hours (the hour itself included) of each series, on the series' own grid (every
    hour from its first to its last, 0 where missing), accumulated in `dtype`. `width` (>= 0) is taken from
    `windows`, per `on` key.

    Calculation: y[t] = sum_{k <= t} (x[k] - x[k - w]) (a running sum where what enters at k leaves at k + w),
    added one hour after the other (in float32 exactly as efootprint when `dtype` is Float32)."""
    series = join(frame.select(*keyed(frame, keys), HOUR, VALUE),
                  windows.select(*keyed(windows, on), pl.col(width).alias("_w")), on)
    keys = keyed(series, keys)
    key_types = series.collect_schema()
    schema = {**{key: key_types[key] for key in keys}, HOUR: pl.Int64, VALUE: pl.Float64}
    # Whole series in, whole series out: no filter or slice may pass through (map_batches' defaults).
    return series.map_batches(lambda rows: _trailing_window_sums(rows, keys, dtype), schema=schema)


def _trailing_window_sums(series: pl.DataFrame, keys: list[str], dtype: type[pl.DataType]) -> pl.DataFrame:
    """Each series gathered into lists (one group-by), scattered onto its dense hour grid, then numpy's cumsum,
    which adds one value after the other in the given dtype (Polars would accumulate Float32 in double
    precision). Rows sorted by keys, then hour."""
    groups = (series.group_by(keys).agg(pl.col(HOUR), pl.col(VALUE).cast(dtype), _w=pl.col("_w").first())
              .sort(keys))
    hours, sums = [], []
    for hour, value, w in zip(groups[HOUR], groups[VALUE], groups["_w"]):
        hour = hour.to_numpy()
        first, length = hour.min(), hour.max() - hour.min() + 1
        values = np.zeros(length, dtype=_NUMPY[dtype])
        values[hour - first] = value.to_numpy()
        changes = values.copy()
        if w < length:
            changes[w:] -= values[:length - w]
        hours.append(np.arange(first, first + length, dtype=np.int64))
        sums.append(np.cumsum(changes, dtype=changes.dtype).astype(np.float64))
    of_series = np.repeat(np.arange(groups.height), [len(h) for h in hours])
    return groups.select(keys)[of_series].with_columns(
        pl.Series(HOUR, np.concatenate(hours) if hours else [], dtype=pl.Int64),
        pl.Series(VALUE, np.concatenate(sums) if sums else [], dtype=pl.Float64))


_NUMPY = {pl.Float64: np.float64, pl.Float32: np.float32}
