"""Keys shared by the stages: the names of the hour and value columns of long frames, and joins and parameter
tables that carry sweep dimensions (the hourly arithmetic itself is in stages.hourly)."""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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


class ByFrame:
    """Values computed of LazyFrames, remembered per frame: a LazyFrame cannot be hashed, but it never changes, so
    what was computed of it holds. Entries hold a weak reference to their frame (an id reused by another frame is
    no match) and are forgotten all at once past `limit`, most of them of frames gone by then; or, with
    `with_frame` (values that hold memory), each as soon as its frame is gone."""

    def __init__(self, limit: int = 4096, with_frame: bool = False):
        self._entries: dict[int, tuple[weakref.ref, object]] = {}
        self._limit = limit
        self._with_frame = with_frame

    def get(self, frame: pl.LazyFrame):
        entry = self._entries.get(id(frame))
        return entry[1] if entry is not None and entry[0]() is frame else None

    def put(self, frame: pl.LazyFrame, value) -> None:
        if len(self._entries) >= self._limit:
            self._entries.clear()
        key, entries = id(frame), self._entries

        def forget(ref: weakref.ref) -> None:
            if entries.get(key, (None,))[0] is ref:
                del entries[key]
        self._entries[key] = (weakref.ref(frame, forget if self._with_frame else None), value)


# The sweep dimensions of LazyFrames asked about or built here: a LazyFrame's schema is a call into Polars that
# resolves its whole plan, and the stages ask about the same frames and the joins of known ones again and again
# (tens of microseconds per table of a few rows).
_known_dimensions = ByFrame()


# Within a model's computation (`dimensionless`), every frame is without sweep dimensions: its tables come without
# them and no stage adds one, so none is looked for (~1 ms of schema and cache look-ups per model).
_dimensionless: ContextVar[bool] = ContextVar("dimensionless", default=False)


@contextmanager
def dimensionless(wanted: bool = True) -> Iterator[None]:
    """Within the block, `dimensions` is [] for every frame if `wanted` (a model's computation), else looked up."""
    token = _dimensionless.set(wanted)
    try:
        yield
    finally:
        _dimensionless.reset(token)


def dimensions(*frames: pl.LazyFrame | pl.DataFrame) -> list[str]:
    """The sweep dimensions present in any of the frames, in a stable order."""
    if _dimensionless.get():
        return []
    if len(frames) == 1:
        return _dimensions_of(frames[0])
    return sorted({c for frame in frames for c in _dimensions_of(frame)})


def _dimensions_of(frame: pl.LazyFrame | pl.DataFrame) -> list[str]:
    if isinstance(frame, pl.DataFrame):
        return sorted(c for c in frame.columns if c.startswith(DIMENSION))
    known = _known_dimensions.get(frame)
    if known is not None:
        return list(known)
    return _remember(frame, sorted(c for c in frame.collect_schema().names() if c.startswith(DIMENSION)))


def _remember(frame: pl.LazyFrame, dims: list[str]) -> list[str]:
    """`dims`, as the dimensions of `frame` from now on."""
    _known_dimensions.put(frame, tuple(dims))
    return dims


# The DataFrame under each LazyFrame made by lazy_table, while that LazyFrame lives: what reads its rows (a small
# join, a parameter table) takes them with no query.
_tables = ByFrame(with_frame=True)


def lazy_table(frame: pl.DataFrame) -> pl.LazyFrame:
    """A LazyFrame over `frame`, its sweep dimensions known (its columns'): none to ask Polars for later, nor a
    query to read its rows (table_of)."""
    over = frame.lazy()
    if not _dimensionless.get():  # within a model's computation none is looked for
        _remember(over, _dimensions_of(frame))
    _tables.put(over, frame)
    return over


def known_table(frame: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame | None:
    """The DataFrame itself, or the one under a lazy_table (None: a plan, whose rows take a query)."""
    return frame if isinstance(frame, pl.DataFrame) else _tables.get(frame)


def table_of(frame: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """The rows of a table: the DataFrame itself, or under a lazy_table, else the LazyFrame collected."""
    known = known_table(frame)
    return known if known is not None else frame.collect(engine=ENGINE)


# Tables up to this many rows are joined in Python (small_join), on key columns of these types, where equal values
# are equal keys as in Polars (not floats, whose NaN never equals itself in Python).
_SMALL_JOIN_ROWS = 512
_JOINABLE = (pl.String, pl.Int64, pl.Int32, pl.UInt32, pl.UInt64, pl.Boolean)


def small_join(keys: pl.DataFrame, table: pl.DataFrame, on: list[str], how: str,
               repeated: bool = False) -> pl.DataFrame | None:
    """`join` of a small table (a key table, say) and a small table (a parameter table), matched in Python (a Polars
    join costs ~0.2 ms within a computation, far more than its rows) as Polars matches them (see key_rows), rows in
    the first table's order; with `how="left"` a row without a match kept, the table's columns null. A key the
    table repeats is joined only if `repeated` (the table in hand: its matches in its own order, as Polars' join of a
    table in hand lists them; a plan's joins list them in an order of their own). None where Polars must join (see
    key_rows), or in a left join with a sweep dimension that only the table has (`join` repeats the rows over it
    first)."""
    left_dims = {c for c in keys.columns if c.startswith(DIMENSION)}
    right_dims = {c for c in table.columns if c.startswith(DIMENSION)}
    on = [*on, *sorted(left_dims & right_dims)]
    added = [c for c in table.columns if c not in on]
    if (how == "left" and right_dims - left_dims) or not set(added).isdisjoint(keys.columns):
        return None
    rows = key_rows(keys, table, on)
    if rows is None or (not repeated and any(len(found) > 1 for found in rows)):
        return None
    left = [at for at, found in enumerate(rows) for _ in (found or ([None] if how == "left" else []))]
    right = [match for found in rows for match in (found or ([None] if how == "left" else []))]
    # Gathered (where not all rows in order) by UInt32 Series made of the lists: a tenth of the cost of numpy
    # indices or Series.gather.
    joined = keys if left == list(range(keys.height)) else keys[pl.Series(left, dtype=pl.UInt32)]
    if not added:
        return joined
    columns = [table.get_column(c) for c in added]
    if right != list(range(table.height)):
        columns = columns[0].to_frame().hstack(columns[1:])[pl.Series(right, dtype=pl.UInt32)].get_columns()
    return joined.hstack(columns)


def key_rows(keys: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> list[list[int]] | None:
    """Per row of `keys`, the rows of `table` with the same `on` values, in the table's order (none: []), found in
    Python as a Polars join finds them (a null key matches nothing). None where Polars must find them: tables not
    both small (at most _SMALL_JOIN_ROWS rows), or `on` not of one plain type (_JOINABLE) on both sides."""
    left_types, right_types = dict(zip(keys.columns, keys.dtypes)), dict(zip(table.columns, table.dtypes))
    if (keys.height > _SMALL_JOIN_ROWS or table.height > _SMALL_JOIN_ROWS
            or not all(left_types.get(c) == right_types.get(c) and right_types[c] in _JOINABLE for c in on)):
        return None
    matches: dict[tuple, list[int]] = {}
    for at, key in enumerate(zip(*(table.get_column(c).to_list() for c in on))):
        if None not in key:
            matches.setdefault(key, []).append(at)
    return [matches.get(key, []) for key in zip(*(keys.get_column(c).to_list() for c in on))]


def key_matches(keys: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> list[int | None] | None:
    """Per row of `keys`, the row of `table` with the same `on` values (None: none), as key_rows finds them; None
    also where a key repeats in the table (a join would repeat the row)."""
    rows = key_rows(keys, table, on)
    if rows is None or any(len(found) > 1 for found in rows):
        return None
    return [found[0] if found else None for found in rows]


def picked(table: pl.LazyFrame, *columns: str | tuple[str, str], where: tuple[str, str] | None = None,
           present: str | None = None) -> pl.LazyFrame:
    """`columns` of a table (a (new, old) pair renames), of its rows whose column `where[0]` is `where[1]` if
    given, and whose column `present` is set (not null) if given: taken from a table in hand with no query (a
    query costs more than these tables' rows), else planned."""
    named = [(c, c) if isinstance(c, str) else c for c in columns]
    known = known_table(table)
    if known is None:
        if where is not None:
            table = table.filter(pl.col(where[0]) == where[1])
        if present is not None:
            table = table.filter(pl.col(present).is_not_null())
        return table.select(pl.col(old).alias(new) for new, old in named)
    chosen = [known.get_column(old).alias(new) for new, old in named]
    kept = np.ones(known.height, dtype=bool)
    if where is not None:
        kept &= (known.get_column(where[0]) == where[1]).to_numpy().astype(bool)  # a null (None) is no match
    if present is not None and known.get_column(present).has_nulls():  # else set in every row: nothing to test
        kept &= known.get_column(present).is_not_null().to_numpy()
    if not kept.all():  # gathered column by column: a table's gather hands its columns to threads
        at = pl.Series(np.flatnonzero(kept), dtype=pl.UInt32)
        chosen = [column[at] for column in chosen]
    return lazy_table(chosen[0].to_frame().hstack(chosen[1:]))


def keyed(frame: pl.LazyFrame | pl.DataFrame, keys: list[str]) -> list[str]:
    """`keys` plus the frame's sweep dimensions."""
    return [*keys, *dimensions(frame)]


def kept(table: pl.LazyFrame, *columns: str | pl.Expr) -> pl.LazyFrame:
    """`columns` of a table with its system and sweep dimensions (a selection that dropped a dimension would
    repeat rows, one per variant, without saying which)."""
    dims = dimensions(table)
    selected = table.select("system_id", *dims, *columns)
    _remember(selected, dims)
    return selected


def join(left: pl.LazyFrame | pl.DataFrame, right: pl.LazyFrame | pl.DataFrame, on: list[str], how: str = "inner",
         **options) -> pl.LazyFrame:
    """A join on `on` and on the sweep dimensions both sides have (the others broadcast).

    In a left join, a left row must also exist for every value of the dimensions only the right side has, matched
    or not: it is first repeated over them (otherwise an unmatched row, a job with no service say, would get a
    null dimension and drop out of every later join on it).

    Two small tables in hand (DataFrames, or under lazy_tables) are joined at once in Python where small_join can,
    with no query: the join of two parameter tables, say, that a stage then joins to its series."""
    left_table, right_table = known_table(left), known_table(right)
    if left_table is not None and right_table is not None and how in ("inner", "left") and not options:
        joined = small_join(left_table, right_table, on, how, repeated=True)
        if joined is not None:
            return lazy_table(joined)
    left_dims, right_dims = set(dimensions(left)), set(dimensions(right))
    left, right = left.lazy(), right.lazy()
    shared = sorted(left_dims & right_dims)
    only_right = sorted(right_dims - left_dims)
    if how == "left" and only_right:
        left = left.join(right.select(only_right).unique(maintain_order=True), how="cross", maintain_order="left_right")
        shared = sorted(right_dims)  # the left side now has them all; the right side has only its own
    # Rows in the left side's order: the same input gives the same tables, row for row.
    joined = left.join(right, on=[*on, *shared], how=how, **{"maintain_order": "left", **options})
    if how in ("inner", "left"):  # each dimension once (a full join may keep both sides' as two columns)
        _remember(joined, sorted(left_dims | right_dims))
    return joined


def parameters(table: pl.LazyFrame, keys: list[str], *columns: str | pl.Expr) -> pl.LazyFrame:
    """`keys` and `columns` of a small parameter table, with only the sweep dimensions along which those
    columns take different values: a carbon intensity sweep then does not repeat what only needs the
    utilization rate. (It reads the table's values, so use it on input-sized tables, never hourly frames.)"""
    dims = dimensions(table)
    known = _tables.get(table)
    if not dims and known is not None and all(isinstance(c, str) for c in columns):
        picked = [known.get_column(c) for c in (*keys, *columns)]  # columns picked, with no query
        return lazy_table(picked[0].to_frame().hstack(picked[1:]))
    selected = table.select(*keys, *dims, *columns)
    if not dims:
        _remember(selected, dims)
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
        return lazy_table(frame)
    return lazy_table(frame[sorted(remaining)].drop(d for d in dims if d not in kept))


def whole_hours(hours: pl.Expr) -> pl.Expr:
    """floor() of a duration in hours, robust to float noise just under a whole hour."""
    return (hours + _WHOLE_HOUR_SLACK).floor().cast(pl.Int64)
