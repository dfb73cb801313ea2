"""Hourly series as dense blocks: a small Polars key table, one row per series, over float blocks (block rows x
hours) that share one hour axis.

The key table holds each series' keys (ids, sweep dimensions), its span (FIRST and LAST, hours since
1970-01-01 UTC: efootprint's series cover a range of hours, and its sums align series on the union of their
ranges) and ROW, the block row holding its values. Joins, filters and group-bys run on the key tables; a join
that repeats a series (over the values of a sweep dimension, say) repeats its ROW, not its hours. The
arithmetic over hours runs on the blocks, for every series of every system and variant at once, and long
(key, hour, value) rows exist only at the edges (`long`).

Blocks are 0 outside a series' span, so sums and windows never need the span; only values that are not 0 where
nothing happens (a base storage need, a fixed fleet) are masked to it.

A scaled column is an activity block times an intensity of the key table (kg = kWh x kg/kWh): a sweep over the
intensity then adds key rows, not hours, and its totals are the activity's sums over hours times the intensity.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import polars as pl

from efp_tables.engine import ENGINE
from efp_tables.stages.timeline import HOUR, VALUE, dimensions, join, keyed, known_table, small_join, table_of
from efp_tables.tables.runs import run_starts

FIRST, LAST, ROW = "_first", "_last", "_row"
_INTERNAL = (FIRST, LAST, ROW)
# Groups of at most this many series are summed member by member; larger ones by np.add.reduceat.
_FEW_MEMBERS = 16
_TILE_BYTES = 1024**2  # a tile of rows (row_tiles): well within a core's share of the CPU's cache
# Key tables up to this many rows are sorted and grouped in Python (`Hourly._groups`), of these column types.
_PYTHON_ROWS = 512
_PYTHON_SORTABLE = (pl.String, pl.Int64, pl.Int32, pl.UInt32, pl.UInt64, pl.Float64, pl.Boolean)


@dataclass(frozen=True)
class Hourly:
    """Series keyed by `keys` (key columns, then FIRST, LAST and ROW); `blocks` by column, (block rows x width)
    from hour `start`; `scaled` columns, {column: (block column, key column of its intensity)}."""
    keys: pl.DataFrame
    blocks: dict[str, np.ndarray]
    start: int
    scaled: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Columns computed when read, {column: (function of the series, key columns it reads)}: what only some
    # readers need (shares of a footprint) costs nothing to the others (a sweep's totals).
    derived: dict[str, tuple[Callable[[Hourly], np.ndarray], tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def of(cls, keys: pl.DataFrame, blocks: dict[str, np.ndarray], start: int,
           scaled: dict[str, tuple[str, str]] | None = None) -> Hourly:
        """Series whose blocks are aligned row by row with `keys` (key columns, FIRST and LAST)."""
        rows, names = pl.Series(ROW, np.arange(keys.height, dtype=np.int64)), keys.columns
        keys = (_with(keys, rows) if ROW not in names or names[-1] == ROW  # ROW last, where it is or added
                else _columns(keys, [c for c in names if c != ROW], rows))
        return cls(keys, blocks, start, scaled or {})

    @property
    def width(self) -> int:
        return next(iter(self.blocks.values())).shape[1] if self.blocks else 0

    @property
    def height(self) -> int:
        return self.keys.height

    @property
    def columns(self) -> list[str]:
        return [*self.blocks, *self.scaled, *self.derived]

    @property
    def key_columns(self) -> list[str]:
        return [c for c in self.keys.columns if c not in _INTERNAL]

    @cached_property
    def rows(self) -> np.ndarray:
        return self.keys[ROW].to_numpy()

    @cached_property
    def direct(self) -> bool:
        """Key rows are the block rows, in order: no gather needed."""
        rows = self.rows
        return all(len(rows) == b.shape[0] for b in self.blocks.values()) and bool(
            (rows == np.arange(len(rows))).all())

    def __getitem__(self, column: str) -> np.ndarray:
        """The values of `column`, one row per key row."""
        if column in self.scaled:
            block, intensity = self.scaled[column]
            return self[block] * self.parameter(intensity)
        if column in self.derived:
            return self.derived[column][0](self)
        block = self.blocks[column]
        return block if self.direct else block[self.rows]

    def parameter(self, column: str) -> np.ndarray:
        """A numeric key column as a (rows x 1) array, to scale blocks."""
        return self.keys[column].cast(pl.Float64).to_numpy()[:, None]

    def per_distinct(self, columns: list[str], compute: Callable[[Hourly], dict[str, np.ndarray]],
                     gathered: bool = True) -> Hourly:
        """New blocks from `compute`, run once per distinct (series, `columns`) rather than per key row: key rows
        that repeat a series with the same parameters (a dimension of the table along which this object's value
        does not vary) share their result. `compute` gets the distinct rows and returns their blocks (aligned
        with its key rows): as direct rows, or if not `gathered`, over these blocks (a `compute` that reads them
        with `rows_of`, a tile at a time, copies no whole block)."""
        # Distinct block rows (the usual case, a sweep's repeats aside) are distinct (series, `columns`) too: no
        # query needed to tell. Nor for a small key table, compared in Python.
        distinct = len(np.unique(self.rows)) == self.height
        if not distinct:
            rows = self._python_rows(columns)
            distinct = rows is not None and len(set(rows)) == self.height
        if not distinct:
            first, codes = self._numbered(columns, rows)
            distinct = len(first) == self.height
        if distinct:
            return self.holding(**compute(self if self.direct or not gathered
                                          else self.holding(**{c: self[c] for c in self.blocks})))
        if gathered:
            representatives = Hourly.of(self.keys[first], {c: b[self.rows[first]] for c, b in self.blocks.items()},
                                         self.start)
        else:
            representatives = Hourly(self.keys[first], self.blocks, self.start)
        return Hourly(_with(self.keys, pl.Series(ROW, codes.astype(np.int64))), compute(representatives), self.start)

    def _python_rows(self, columns: list[str]) -> list[tuple] | None:
        """(block row, `columns`) of each key row as a tuple of _sort_keys, for a small key table of plain column
        types (None otherwise): compared in Python, where a Polars query costs more than such a table's rows."""
        dtypes = dict(zip(self.keys.columns, self.keys.dtypes))
        if self.height > _PYTHON_ROWS or not all(dtypes[c] in _PYTHON_SORTABLE for c in columns):
            return None
        values = [self.rows.tolist(), *(self.keys.get_column(c).to_list() for c in columns)]
        return [tuple(_sort_key(value) for value in row) for row in zip(*values)]

    def distinct_rows(self, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The first key row of each distinct (block row, `columns`), and per key row the index of its among them
        (distinct rows numbered in their sorted order)."""
        return self._numbered(columns, self._python_rows(columns))

    def _numbered(self, columns: list[str], rows: list[tuple] | None) -> tuple[np.ndarray, np.ndarray]:
        """distinct_rows, given the key table's `_python_rows` (None: not small)."""
        if rows is not None and all(key[:2] == (0, 0) for row in rows for key in row):
            # Without a null or NaN, whose place in a struct's rank is Polars' own, sorted in Python as Polars ranks.
            numbers = {row: code for code, row in enumerate(sorted(set(rows)))}
            codes = np.fromiter((numbers[row] for row in rows), dtype=np.int64, count=len(rows))
        else:
            codes = self.keys.select(pl.struct(ROW, *columns).rank("dense")).to_series().to_numpy() - 1
        return np.unique(codes, return_index=True)[1], codes

    def rows_of(self, column: str, at: slice | np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The values of `column` at key rows `at` (a slice or indices), a copy (into `out` if given): only those
        rows gathered."""
        if column in self.blocks:
            return np.take(self.blocks[column], self.rows[at], axis=0, out=out, mode="clip")  # "raise" buffers out
        if out is None:
            return self[column][at]
        out[...] = self[column][at]
        return out

    def holding(self, scaled: dict[str, tuple[str, str]] | None = None, **blocks: np.ndarray) -> Hourly:
        """The same series with only these blocks (aligned with the key rows) and `scaled` columns."""
        return Hourly.of(self.keys, blocks, self.start, scaled)

    def scaling(self, **scaled: tuple[str, str]) -> Hourly:
        """The same series with these scaled columns: {column: (block column, key column of its intensity)}."""
        return replace(self, scaled={**self.scaled, **scaled})

    def deriving(self, reads: tuple[str, ...] = (), **derived: Callable[[Hourly], np.ndarray]) -> Hourly:
        """The same series with these derived columns, computed when read from its blocks and the key columns
        `reads`."""
        return replace(self, derived={**self.derived, **{c: (fn, reads) for c, fn in derived.items()}})

    def only(self, *columns: str, **renamed: str) -> Hourly:
        """The blocks `columns` and `renamed` ({new: old}), alone (materialized if scaled)."""
        wanted = {**{c: c for c in columns}, **{new: old for new, old in renamed.items()}}
        if any(old in self.scaled or old in self.derived for old in wanted.values()):
            return self.holding(**{new: self[old] for new, old in wanted.items()})
        return Hourly(self.keys, {new: self.blocks[old] for new, old in wanted.items()}, self.start)

    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        return self.keys[FIRST].to_numpy(), self.keys[LAST].to_numpy()

    def span_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Each series' span as block columns: its first column and its number of hours."""
        first, last = self.spans()
        return first - self.start, last - first + 1

    def in_span(self, at: slice | np.ndarray = slice(None)) -> np.ndarray:
        """True at the hours of each series' span (of the key rows `at` only, if given)."""
        first, last = self.spans()
        # Block columns compared as int32 (the spans clipped to the axis: the same answer), tile by tile: twice as
        # fast a comparison as on int64 hours, its temporaries in the CPU's cache.
        columns = np.arange(self.width, dtype=np.int32)
        begin = np.clip(first[at] - self.start, -1, self.width).astype(np.int32)[:, None]
        end = np.clip(last[at] - self.start, -1, self.width).astype(np.int32)[:, None]
        inside = np.empty((len(begin), self.width), dtype=bool)
        for tile in row_tiles(len(begin), self.width):
            np.greater_equal(columns, begin[tile], out=inside[tile])
            inside[tile] &= columns <= end[tile]
        return inside

    def filtered(self, mask: np.ndarray) -> Hourly:
        return replace(self, keys=_gathered(self.keys, np.flatnonzero(mask)))

    def joined(self, table: pl.DataFrame | pl.LazyFrame, on: list[str], how: str = "inner") -> Hourly:
        """Each series matched with the rows of a small `table` on `on` (and the sweep dimensions both have; a
        dimension only the table has repeats the series). The table's other columns join the key table, in the
        series' order. No hour is copied."""
        if self.height and self.height <= _PYTHON_ROWS and how in ("inner", "left"):
            # A table in hand that repeats a key is joined here too (its matches in its order, as Polars lists
            # them); a plan that does, by Polars on the plan: which of a key's matches comes first depends on it.
            keys = small_join(self.keys, table_of(table), on, how, repeated=known_table(table) is not None)
            if keys is not None:
                return replace(self, keys=_internal_last(keys))
        plan = join(self.keys, table, on, how=how)
        # No series, none joined: the plan's schema is the answer, without running it.
        keys = (pl.DataFrame(schema=plan.collect_schema()) if self.height == 0 and how in ("inner", "left")
                else plan.collect(engine=ENGINE))
        return replace(self, keys=_internal_last(keys))

    @property
    def _intensities(self) -> list[str]:
        return list(dict.fromkeys([*(intensity for _, intensity in self.scaled.values()),
                                   *(c for _, reads in self.derived.values() for c in reads)]))

    def keyed_by(self, keys: list[str], *extra: str | pl.Expr) -> Hourly:
        """Only `keys` (and the sweep dimensions), then `extra` columns (and the scaled columns' intensities),
        kept in the key table."""
        columns = [*keyed(self.keys, keys), *extra, *self._intensities, *_INTERNAL]
        if all(isinstance(c, str) for c in columns):
            return replace(self, keys=_columns(self.keys, columns))
        return replace(self, keys=self.keys.select(*columns))

    def summed(self, keys: list[str], columns: list[str] | None = None) -> Hourly:
        """Sum over everything not in `keys` (and the dimensions), spans united: of every column, or only of
        `columns` (a scaled column's activities may be of several units, whose sum means nothing). Series are added
        in the order of their rows, so the same input gives the same bits."""
        by, names = keyed(self.keys, keys), self.columns if columns is None else columns
        members, sizes = self._groups(by) if self.height else (None, np.zeros(0, dtype=np.int64))
        if len(sizes) == self.height:  # none, or one series per key: the series themselves
            same = replace(self, keys=_columns(self.keys if members is None else _gathered(self.keys, members),
                                               [*by, *self._intensities, *_INTERNAL]))
            return same if columns is None else same.only(*columns)
        bounds = np.cumsum(sizes) - sizes
        first, last = self.spans()
        keys_out = _columns(_gathered(self.keys, members[bounds]), by,
                            pl.Series(FIRST, np.minimum.reduceat(first[members], bounds), dtype=pl.Int64),
                            pl.Series(LAST, np.maximum.reduceat(last[members], bounds), dtype=pl.Int64))
        if not self.scaled and not self.derived and len(np.unique(self.rows)) < self.height:
            # Groups of the same block rows in the same order (repeats of one series along a sweep dimension it
            # does not vary with) share one sum: only the first of each is computed. (Without a repeated block
            # row, no two groups can be the same rows.)
            codes = _sequence_codes(self.rows[members], sizes)
            distinct, representative = np.unique(codes, return_index=True)
            if len(distinct) < len(sizes):
                kept = sizes[representative]
                at = np.repeat(bounds[representative] - (np.cumsum(kept) - kept), kept) + np.arange(kept.sum())
                return Hourly(_with(keys_out, pl.Series(ROW, codes)), {
                    c: self._group_sums(c, members[at], kept) for c in names}, self.start)
        return Hourly.of(keys_out, {c: self._group_sums(c, members, sizes) for c in names}, self.start)

    def _groups(self, by: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The key rows grouped by `by`: listed group after group, and each group's size. Rows are taken in the
        order of all their sorted key columns, so the groups and the order of their members do not depend on the
        order of the rows (which a join of small tables may change from run to run), nor then the bits of the
        sums. A small key table is sorted and grouped in Python: a Polars query costs more than its rows."""
        columns = self.key_columns
        dtypes = dict(zip(self.keys.columns, self.keys.dtypes))  # not keys.schema: a Schema costs more than a sort
        if self.height <= _PYTHON_ROWS and all(dtypes[c] in _PYTHON_SORTABLE for c in columns):
            values = [self.keys.get_column(c).to_list() for c in columns]
            order = sorted(range(self.height), key=lambda i: tuple(_sort_key(column[i]) for column in values))
            at = [columns.index(c) for c in by]
            groups: dict[tuple, list[int]] = {}
            for i in order:
                groups.setdefault(tuple(_sort_key(values[c][i]) for c in at), []).append(i)
            return (np.fromiter((i for rows in groups.values() for i in rows), dtype=np.int64, count=self.height),
                    np.fromiter((len(rows) for rows in groups.values()), dtype=np.int64, count=len(groups)))
        groups = (self.keys.lazy().with_row_index("_at").sort(columns, nulls_last=True, maintain_order=True)
                  .group_by(by, maintain_order=True).agg(pl.col("_at")).collect(engine=ENGINE))
        lists = groups.get_column("_at")  # read in Polars: no pyarrow to import for it
        return lists.explode().to_numpy().astype(np.int64), lists.list.len().to_numpy().astype(np.int64)

    def _group_sums(self, column: str, members: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """`column` summed over groups of key rows (`members` listed group after group, `sizes` of each), each
        group's rows added one after the other in their order (the bits do not depend on the grouping's shape)."""
        bounds = np.cumsum(sizes) - sizes
        few = not len(sizes) or sizes.max() <= _FEW_MEMBERS
        factor = None
        if column in self.blocks:  # gathered from the block rows directly, not through a copy per key row
            block, rows = self.blocks[column], self.rows[members]
        elif column in self.scaled:  # each member scaled as it is gathered: no scaled copy of every row first
            name, intensity = self.scaled[column]
            block, rows, factor = self.blocks[name], self.rows[members], self.parameter(intensity)[members]
        else:
            block, rows = self[column], members
        if few:
            return _few_member_sums(block, rows, factor, sizes)
        gathered = block[rows]
        if factor is not None:  # the products self[column] has (in its dtype), in place where that is the block's
            gathered = (np.multiply(gathered, factor, out=gathered)
                        if gathered.dtype == np.result_type(gathered, factor) else gathered * factor)
        return np.add.reduceat(gathered, bounds, axis=0)

    def on_axis(self, start: int, width: int) -> Hourly:
        """The same series on the hour axis start..start+width-1 (which must hold their spans)."""
        if start == self.start and width == self.width:
            return self
        at = self.start - start
        blocks = {}
        for column, block in self.blocks.items():
            out = np.zeros((block.shape[0], width), dtype=block.dtype)
            out[:, at:at + block.shape[1]] = block
            blocks[column] = out
        return replace(self, blocks=blocks, start=start)

    def shifted(self, hours: str, scale: str | None = None) -> Hourly:
        """Each series moved the key column `hours` (>= 0, whole) later, and multiplied by the key column `scale`
        if given, in one pass: once per distinct (series, shift, scale), key rows that repeat a series with the
        same shift and scale (along a sweep dimension it does not vary with) sharing it."""
        shifts = self.keys[hours].cast(pl.Int64).to_numpy()
        width = self.width + (int(shifts.max()) if len(shifts) else 0)

        def move(distinct: Hourly) -> dict[str, np.ndarray]:
            moves, blocks = distinct.keys[hours].cast(pl.Int64).to_numpy(), {}
            factor = distinct.parameter(scale) if scale else None
            shifts = np.unique(moves)
            for column in distinct.columns:
                if len(shifts) == 1:  # one shift (the usual case): each row written once, straight to its place
                    shift = int(shifts[0])
                    out = np.empty((distinct.height, width))
                    out[:, :shift] = 0.0
                    out[:, shift + self.width:] = 0.0
                    placed = distinct.rows_of(column, slice(None), out[:, shift:shift + self.width])
                    if factor is not None:
                        placed *= factor
                    blocks[column] = out
                    continue
                out = np.zeros((distinct.height, width))
                for shift in shifts:
                    rows = np.flatnonzero(moves == shift)
                    values = distinct.rows_of(column, rows)
                    if factor is not None:
                        values *= factor[rows]
                    out[rows, shift:shift + self.width] = values
                blocks[column] = out
            return blocks
        moved = self.per_distinct([hours, *([scale] if scale else [])], move, gathered=False)
        return replace(moved, keys=_with(moved.keys, moved.keys[FIRST] + pl.Series(shifts),
                                         moved.keys[LAST] + pl.Series(shifts)))

    def in_progress(self, duration: str, column: str = VALUE) -> Hourly:
        """`column` as starts of events lasting the key column `duration` (hours): events in progress
        (`in_progress`), each span grown by the kernel's reach; series with an empty kernel (a duration of 0)
        dropped."""
        def spread(distinct: Hourly) -> dict[str, np.ndarray]:
            # Read from the block rows themselves: no gathered copy of the starts first.
            starts, rows = ((distinct.blocks[column], distinct.rows) if column in distinct.blocks
                            else (distinct[column], None))
            return {VALUE: in_progress(starts, distinct.keys[duration].to_numpy(), *distinct.span_columns(),
                                       rows=rows)[0]}
        spread = self.per_distinct([duration], spread, gathered=False)
        return spread.grown(kernel_reach(self.keys[duration].to_numpy()), spread.blocks)

    def grown(self, reach: np.ndarray, blocks: dict[str, np.ndarray]) -> Hourly:
        """`blocks` (rows as this series' ROW says, from the same start) with each LAST moved `reach` hours on;
        rows with a negative reach (nothing left) dropped."""
        keys = _with(self.keys, self.keys[LAST] + pl.Series(reach, dtype=pl.Int64))
        return Hourly(_gathered(keys, np.flatnonzero(reach >= 0)), blocks, self.start)

    def period_sums(self, column: str) -> np.ndarray:
        """`column` summed over the hours, per key row: a scaled column's activity sums times its intensity."""
        if column in self.scaled:
            block, intensity = self.scaled[column]
            return self.period_sums(block) * self.parameter(intensity)[:, 0]
        if column in self.derived:
            return self[column].sum(axis=1)
        return self.blocks[column].sum(axis=1)[self.rows]

    @property
    def nbytes(self) -> int:
        return sum(block.nbytes for block in self.blocks.values())

    def long(self, columns: list[str] | None = None) -> pl.DataFrame:
        """One row per series and hour of its span: the key columns, HOUR, then one column per block (`columns`
        only, if given)."""
        first, last = self.spans()
        counts = last - first + 1
        at = np.repeat(np.arange(self.height), counts)
        hours = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) + np.repeat(first, counts)
        rows, offsets = self.rows[at], hours - self.start

        def values(column: str) -> np.ndarray:
            if column in self.scaled:
                block, intensity = self.scaled[column]
                return values(block) * self.parameter(intensity)[at, 0]
            if column in self.derived:
                return self[column][at, offsets]
            return self.blocks[column][rows, offsets]
        return _with(_columns(self.keys, self.key_columns)[at], pl.Series(HOUR, hours, dtype=pl.Int64),
                     *[pl.Series(column, values(column), dtype=pl.Float64) for column in columns or self.columns])

    @classmethod
    def from_long(cls, frame: pl.DataFrame, keys: list[str], columns: list[str]) -> Hourly:
        """Series from long rows (`keys`, HOUR, `columns`); missing hours are 0. Series that repeat an earlier one
        bit for bit share its block row."""
        keys = keyed(frame, keys)
        hours = frame[HOUR].to_numpy()
        values = [frame[column].cast(pl.Float64).to_numpy() for column in columns]
        runs = _runs(frame, keys, hours)
        if runs is None:  # a series' rows not consecutive: found by a join, then put together (in their order)
            spans = (frame.group_by(keys, maintain_order=True).agg(pl.col(HOUR).min().alias(FIRST),
                                                                     pl.col(HOUR).max().alias(LAST))
                     .with_row_index("_at"))
            rows = frame.select(keys).join(spans.select(*keys, "_at"), on=keys, how="left",
                                           nulls_equal=True, maintain_order="left")["_at"].to_numpy()
            order = np.argsort(rows, kind="stable")
            hours, values, spans = hours[order], [column[order] for column in values], spans.drop("_at")
            bounds = np.searchsorted(rows[order], np.arange(spans.height + 1))
        else:
            bounds, spans = runs
        start = int(spans[FIRST].min()) if spans.height else 0
        width = int(spans[LAST].max()) - start + 1 if spans.height else 0
        kept, own = _repeated_series(bounds, hours - start, values)
        lengths = np.diff(bounds)[kept]
        # The rows of the series kept (all, in the usual case), each written to its block row.
        at = (np.repeat(bounds[kept] - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
              if len(kept) < spans.height else slice(None))
        rows, columns_at = np.repeat(np.arange(len(kept)), lengths), hours[at] - start
        blocks = {}
        for column, column_values in zip(columns, values):
            block = np.zeros((len(kept), width))
            block[rows, columns_at] = column_values[at]
            blocks[column] = block
        if len(kept) < spans.height:
            return cls(_with(spans, pl.Series(ROW, own)), blocks, start)
        return cls.of(spans, blocks, start)


def _repeated_series(bounds: np.ndarray, offsets: np.ndarray, values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Series of long rows (series i the rows bounds[i]:bounds[i + 1], their hour `offsets` and `values`) that
    repeat an earlier one bit for bit, hours and values in the same order: the series kept (the first of each
    kind) and, per series, the index of its own among them. (Copies of one system in a portfolio share their
    series: every stage then computes them once.)"""
    count = len(bounds) - 1
    everyone = np.arange(count)
    if count < 2:
        return everyone, everyone
    # Candidates: equal lengths, first hours, and sums and exclusive ors of the values' bits (integers: the same
    # for the same values wherever their rows are, and no temporary array); then compared bit for bit.
    firsts = bounds[:-1]
    prints = [np.diff(bounds), offsets[firsts]]
    for column in values:
        bits = column.view(np.int64)
        prints += [np.add.reduceat(bits, firsts), np.bitwise_xor.reduceat(bits, firsts)]
    _, first, kind = np.unique(np.stack(prints, axis=1), axis=0, return_index=True, return_inverse=True)
    if len(first) == count:
        return everyone, everyone
    kind = kind.reshape(-1)

    def same(one: int, other: int) -> bool:
        mine, theirs = slice(bounds[one], bounds[one + 1]), slice(bounds[other], bounds[other + 1])
        return np.array_equal(offsets[mine], offsets[theirs]) and all(
            np.array_equal(column[mine].view(np.int64), column[theirs].view(np.int64)) for column in values)
    own, others = first[kind], {}  # others: per kind, the series kept after its first (prints alike, values not)
    for series in np.flatnonzero(own != everyone):
        candidates = (first[kind[series]], *others.get(kind[series], ()))
        own[series] = next((kept for kept in candidates if same(series, kept)), series)
        if own[series] == series:
            others.setdefault(kind[series], []).append(series)
    kept = np.unique(own)
    return kept, np.searchsorted(kept, own).astype(np.int64)


def _runs(frame: pl.DataFrame, keys: list[str], hours: np.ndarray) -> tuple[np.ndarray, pl.DataFrame] | None:
    """When each series' rows are consecutive (as readers write them): the bounds of each series' rows (series i
    the rows bounds[i]:bounds[i + 1]) and the series' keys and spans, found in linear passes with no join (a
    portfolio's occurrences have millions of rows). None otherwise."""
    if frame.height == 0 or any(frame.get_column(key).has_nulls() for key in keys):
        return None
    firsts = run_starts(frame, keys)
    series = _columns(frame, keys)[firsts]
    if series.is_duplicated().any():
        return None
    spans = _with(series, pl.Series(FIRST, np.minimum.reduceat(hours, firsts), dtype=pl.Int64),
                  pl.Series(LAST, np.maximum.reduceat(hours, firsts), dtype=pl.Int64))
    return np.append(firsts, frame.height), spans


def aligned(*series: Hourly) -> list[Hourly]:
    """The series on one common hour axis."""
    axis = common_axis(series)
    return list(series) if axis is None else [s.on_axis(*axis) for s in series]


def common_axis(series: tuple[Hourly, ...] | list[Hourly]) -> tuple[int, int] | None:
    """The hour axis (start, width) that holds every series with hours (None: none has any)."""
    present = [s for s in series if s.blocks and s.width]
    if not present:
        return None
    start = min(s.start for s in present)
    return start, max(s.start + s.width for s in present) - start


def broadcast(series: list[Hourly]) -> list[Hourly]:
    """Each series repeated over the sweep dimensions that only the others carry (its key rows once per value
    the others have, its blocks shared): stacked, the rows of every part then match every value of every
    dimension, where a part without the dimension would have it null and match none."""
    dims = dimensions(*(s.keys for s in series))
    out = []
    for s in series:
        values = [pl.concat([o.keys.select(d) for o in series if d in o.keys.columns]).unique().drop_nulls().sort(d)
                  for d in dims if d not in s.keys.columns]
        keys = s.keys
        for value in values:
            keys = keys.join(value, how="cross", maintain_order="left_right")
        out.append(replace(s, keys=_internal_last(keys)) if values else s)
    return out


def stacked(series: list[Hourly]) -> Hourly:
    """Series of several Hourly (same block and scaled columns) as one: their key tables one under the other,
    their blocks too."""
    axis = common_axis(series)
    start, width = axis if axis is not None else (series[0].start, series[0].width)
    heights = [next(iter(s.blocks.values())).shape[0] for s in series]
    offsets = np.cumsum([0, *heights])
    keys = _concatenated([_with(s.keys, pl.Series(ROW, s.rows + offset)) for s, offset in zip(series, offsets)])
    # Each part copied once, straight to its place on the common axis (no aligned copy to concatenate).
    blocks = {}
    for column in series[0].blocks:
        parts = [s.blocks[column] for s in series]
        out = np.empty((int(offsets[-1]), width), dtype=np.result_type(*parts))
        for s, part, offset in zip(series, parts, offsets):
            rows, at = slice(offset, offset + part.shape[0]), s.start - start if part.shape[1] else 0
            out[rows, :at] = 0.0
            out[rows, at:at + part.shape[1]] = part
            out[rows, at + part.shape[1]:] = 0.0
        blocks[column] = out
    return Hourly(_internal_last(keys), blocks, start, series[0].scaled, series[0].derived)


def row_tiles(rows: int, width: int, tile_bytes: int = _TILE_BYTES) -> list[slice]:
    """Consecutive slices of `rows` block rows of `width` hours, each about `tile_bytes` of float64: a stage that
    makes several passes over its rows makes them tile by tile, in the CPU's cache rather than in memory."""
    step = max(1, tile_bytes // max(8 * width, 1))
    return [slice(at, min(at + step, rows)) for at in range(0, rows, step)]


def _few_member_sums(block: np.ndarray, rows: np.ndarray, factor: np.ndarray | None,
                     sizes: np.ndarray) -> np.ndarray:
    """Groups of the block `rows` (listed group after group, `sizes` of each) summed, each member times its
    `factor` if given: the k-th member of every group that has one added to the sums, k = 0, 1, ..., so each
    group's rows are added one after the other in their order, as np.add.reduceat adds them. Done tile of groups
    by tile of groups, the gathered members in one reused buffer: the sums and members stay in the CPU's cache."""
    bounds = np.cumsum(sizes) - sizes
    tiles = row_tiles(len(sizes), block.shape[1])
    out = np.empty((len(sizes), block.shape[1]), dtype=block.dtype)  # a factor scales in the block's precision
    buffer = np.empty_like(out[tiles[0]]) if tiles else out
    largest = int(sizes.max(initial=1))
    for tile in tiles:
        sums, first = out[tile], bounds[tile]
        np.take(block, rows[first], axis=0, out=sums, mode="clip")  # "raise" would buffer `out`
        if factor is not None:
            sums *= factor[first]
        for k in range(1, largest):
            groups = np.flatnonzero(sizes[tile] > k)
            if not len(groups):
                break
            at = first[groups] + k
            if len(groups) == 1:  # one group (a system's total, say): its member added from the block row itself
                member = block[rows[at[0]]]
                if factor is not None:
                    member = np.multiply(member, factor[at[0]], out=buffer[0])
                sums[groups[0]] += member
                continue
            member = np.take(block, rows[at], axis=0, out=buffer[:len(groups)], mode="clip")
            if factor is not None:
                member *= factor[at]
            if len(groups) == len(first):  # every group of the tile has a k-th member: added in place
                sums += member
            else:
                sums[groups] += member
    return out


def in_progress(starts: np.ndarray, durations: np.ndarray, at: np.ndarray, lengths: np.ndarray,
                rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Average number of events in progress per hour, for events that start at the beginning of their hour and
    last `durations` hours (one per series; efootprint's compute_nb_occurrences_in_parallel). Each series is
    its span, `lengths` hours from column `at`, of its row of `starts`: `rows` (by default each row its own).

    Calculation: y[t] = sum_{k<F} x[t-k] + r * x[t-F], with F = floor(d), r = d - F, clipped at 0.
    - F = 0: y = r * x, exact.
    - F >= 1: efootprint's own arithmetic, so that its float noise is ours bit for bit: the span's values in
      float32, convolved with F float32 ones by scipy's 1-D FFT (`fftconvolve`, mode "full", length L + F - 1),
      plus float32 r times x shifted F hours (length L + F), clipped at 0. The FFT leaves noise of ~1e-7 of the
      series' peak in hours whose exact value is 0 (~1e-5 for deployments over a year), which an autoscaling
      server ceils into a whole instance, as efootprint does.

    Returns the block (wider by the longest kernel) and, per row, the hours the span grows by (-1: empty)."""
    floors = np.floor(durations).astype(np.int64)
    rests = durations - floors
    reach = kernel_reach(durations)
    rows = np.arange(len(durations)) if rows is None else rows
    width = starts.shape[1]
    if not floors.any():  # every event under an hour (most jobs): one pass, no scatter
        out = np.empty((len(rows), width), dtype=np.result_type(starts, rests))
        for tile in row_tiles(len(rows), width):  # each tile's rows gathered and scaled in the CPU's cache
            out[tile] = starts[rows[tile]]
            out[tile] *= rests[tile, None]
        return out, reach
    # Imported here: scipy.signal takes 0.65 s to import, and most models' events all last under an hour.
    from scipy.signal import fftconvolve
    out = np.zeros((len(rows), width + max(int(reach.max(initial=-1)), 0)))
    short = np.flatnonzero(floors == 0)
    out[short, :width] = starts[rows[short]] * rests[short, None]
    # One 1-D scipy call per series (and no Python work per hour): scipy's batched transforms (fftconvolve
    # with `axes`, rfft over rows) differ from its 1-D ones in the last bits of every row, and those bits are
    # the noise we reproduce. Series are few (patterns, journeys, job coordinates), each call ~0.1 ms.
    for row in np.flatnonzero(floors > 0):
        first, length, whole = int(at[row]), int(lengths[row]), int(floors[row])
        values = starts[rows[row], first:first + length].astype(np.float32)
        spread = fftconvolve(values, np.ones(whole, dtype=np.float32), mode="full")
        if rests[row] > 0:
            spread = np.pad(spread, (0, 1))
            spread[whole:] += values * np.float32(rests[row])
        np.maximum(spread, np.float32(0), out=spread)
        out[row, first:first + len(spread)] = spread
    return out, reach


def kernel_reach(durations: np.ndarray) -> np.ndarray:
    """The last lag with a weight in `in_progress`'s kernel of each duration (-1: none)."""
    floors = np.floor(durations).astype(np.int64)
    return np.where(durations - floors > 0, floors, floors - 1)


# Key tables have tens to thousands of rows: taking or replacing whole columns directly costs far less than a
# Polars query (select, with_columns) would.
def _internal_last(keys: pl.DataFrame) -> pl.DataFrame:
    """A key table made by a join or a concatenation, FIRST, LAST and ROW moved back to its end."""
    names = keys.columns
    if names[-len(_INTERNAL):] == list(_INTERNAL):  # where they are (a concatenation of key tables)
        return keys
    return _columns(keys, [*(c for c in names if c not in _INTERNAL), *_INTERNAL])


def _columns(frame: pl.DataFrame, names: list[str], *added: pl.Series) -> pl.DataFrame:
    """The columns `names` of `frame`, then `added`."""
    return frame_of([*(frame.get_column(name) for name in names), *added])


def _gathered(frame: pl.DataFrame, at: np.ndarray) -> pl.DataFrame:
    """The rows `at` of `frame`: the frame itself when they are all its rows in order (most filters and groupings of
    a model's key tables), with no gather."""
    if len(at) == frame.height and (at == np.arange(len(at))).all():
        return frame
    return frame[at]


def frame_of(columns: list[pl.Series]) -> pl.DataFrame:
    """A DataFrame of these columns (of one height)."""
    # Stacked onto the first column's frame: a quarter of the cost of pl.DataFrame(columns), which inspects each.
    return columns[0].to_frame().hstack(columns[1:]) if columns else pl.DataFrame()


def _concatenated(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The frames one under the other, their columns united (diagonal_relaxed). Frames whose columns line up (the
    usual case) are concatenated vertically, a quarter of the cost: that accepts only the same dtypes (or nulls
    where the first frame has values), where diagonal_relaxed gives the same frame."""
    if all(frame.columns == frames[0].columns for frame in frames):
        try:
            return pl.concat(frames, how="vertical")
        except pl.exceptions.SchemaError:
            pass
    return pl.concat(frames, how="diagonal_relaxed")


def _with(frame: pl.DataFrame, *series: pl.Series) -> pl.DataFrame:
    """`frame` with these columns replaced where it has them, added at the end otherwise."""
    # Changed in a clone, which shares the columns (`frame` stays as it is): no new frame of every column.
    out, names, added = frame.clone(), frame.columns, []
    for column in series:
        if column.name in names:
            out.replace_column(names.index(column.name), column)
        else:
            added.append(column)
    return out.hstack(added, in_place=True) if added else out


def _sort_key(value) -> tuple:
    """A key value ordered as Polars sorts (nulls last, NaN after every number) and grouped as it groups."""
    if value is None:
        return (1, 0, 0)
    if value != value:  # NaN
        return (0, 1, 0)
    return (0, 0, value)


def _sequence_codes(rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """A code per group of `rows` (listed group after group, `sizes`): the same for groups of the same rows in the
    same order."""
    bounds = np.cumsum(sizes) - sizes
    table = np.full((len(sizes), int(sizes.max()) + 1), -1, dtype=np.int64)
    table[:, 0] = sizes
    table[np.repeat(np.arange(len(sizes)), sizes), 1 + np.arange(len(rows)) - np.repeat(bounds, sizes)] = rows
    return np.unique(table, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
