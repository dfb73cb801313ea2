"""Hourly.distinct_rows numbers a small key table's distinct (block row, columns) in Python instead of by a Polars
rank. Wherever it does, it must number them as Polars' dense rank of the struct does (per_distinct's
representatives and the attribution's storages come out in that order, so the bits depend on it)."""
import random

import numpy as np
import polars as pl

from efp_tables.stages.hourly import ROW, Hourly


def _keys(rng: random.Random) -> pl.DataFrame:
    n = rng.randint(1, 40)
    return pl.DataFrame({
        ROW: pl.Series([rng.randrange(4) for _ in range(n)], dtype=pl.Int64),
        "duration": pl.Series([rng.choice([0.5, 1.0, 2.25, -3.0, 1e-9, 7.0]) for _ in range(n)], dtype=pl.Float64),
        "shift": pl.Series([rng.choice([-2, 0, 1, 3]) for _ in range(n)], dtype=pl.Int64),
        "name": pl.Series([rng.choice(["b", "a", "é", "ab", "B", ""]) for _ in range(n)], dtype=pl.String),
        "flag": pl.Series([rng.random() < 0.5 for _ in range(n)], dtype=pl.Boolean)})


def test_python_numbering_equals_polars_rank():
    rng, python = random.Random(3), 0
    for case in range(800):
        keys = _keys(rng)
        columns = rng.sample(["duration", "shift", "name", "flag"], rng.randint(1, 4))
        series = Hourly(keys, {}, 0)
        first, codes = series.distinct_rows(columns)
        expected = keys.select(pl.struct(ROW, *columns).rank("dense")).to_series().to_numpy().astype(np.int64) - 1
        assert codes.tolist() == expected.tolist(), (case, columns)
        assert first.tolist() == np.unique(expected, return_index=True)[1].tolist(), case
        python += series._python_rows(columns) is not None
    assert python == 800  # every case took the Python path


def test_nulls_and_nan_are_left_to_polars():
    keys = pl.DataFrame({ROW: [0, 0, 0, 1], "duration": [None, 1.0, float("nan"), 1.0]},
                        schema={ROW: pl.Int64, "duration": pl.Float64})
    first, codes = Hourly(keys, {}, 0).distinct_rows(["duration"])
    expected = keys.select(pl.struct(ROW, "duration").rank("dense")).to_series().to_numpy().astype(np.int64) - 1
    assert codes.tolist() == expected.tolist()
    assert len(first) == 4
