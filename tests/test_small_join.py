"""Small tables are joined in Python (timeline.small_join: Hourly.joined's key tables and parameter tables)
instead of by a Polars query. Wherever it answers, it must give what Polars' join (timeline.join) gives: the
same rows in the same order, the same columns and values, nulls and sweep dimensions included."""
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from efp_tables.stages.timeline import join, small_join

ON = ["system_id", "job_id"]


def _column(rng: random.Random, n: int, values: list, null_share: float) -> list:
    return [None if rng.random() < null_share else rng.choice(values) for _ in range(n)]


def _frames(rng: random.Random) -> tuple[pl.DataFrame, pl.DataFrame]:
    systems, jobs = ["s1", "s2"], list(range(5))
    n_keys, n_table = rng.randint(0, 12), rng.randint(0, 8)
    keys = {"system_id": pl.Series(_column(rng, n_keys, systems, 0.1), dtype=pl.String),
            "job_id": pl.Series(_column(rng, n_keys, jobs, 0.1), dtype=pl.Int64),
            "x": pl.Series([rng.random() for _ in range(n_keys)], dtype=pl.Float64)}
    table = {"system_id": pl.Series(_column(rng, n_table, systems, 0.05), dtype=pl.String),
             "job_id": pl.Series(_column(rng, n_table, jobs, 0.05), dtype=pl.Int64),
             "p": pl.Series(_column(rng, n_table, [0.5, 1.5, 2.5], 0.2), dtype=pl.Float64)}
    if rng.random() < 0.3:
        keys["variant_a"] = pl.Series(_column(rng, n_keys, [0, 1], 0.0), dtype=pl.Int64)
    if rng.random() < 0.3:
        table["variant_a"] = pl.Series(_column(rng, n_table, [0, 1], 0.0), dtype=pl.Int64)
    if rng.random() < 0.2:
        table["variant_b"] = pl.Series(_column(rng, n_table, [0, 1], 0.0), dtype=pl.Int64)
    return pl.DataFrame(keys), pl.DataFrame(table)


@pytest.mark.parametrize("repeated", [False, True])
def test_small_joins_equal_polars_joins(repeated):
    """With `repeated`, a key the table repeats too: each of its matches, in the table's order, as Polars' join of
    a table in hand lists them."""
    rng, answered, repeating = random.Random(7), 0, 0
    for case in range(1500):
        keys, table = _frames(rng)
        how = rng.choice(["inner", "left"])
        ours = small_join(keys, table, ON, how, repeated=repeated)
        if ours is None:
            continue
        answered += 1
        repeating += table.select(ON).drop_nulls().is_duplicated().any()
        expected = join(keys.lazy(), table.lazy(), ON, how=how).collect()  # plans: joined by Polars
        assert_frame_equal(ours, expected), f"case {case} ({how})"
    assert answered >= 500  # the Python path is taken on most of these small tables
    assert (repeating >= 200) if repeated else (repeating < answered)


def test_picked_from_a_table_in_hand_equals_its_plan():
    """timeline.picked takes columns (renamed, of the rows where a column has a value, or where one is set) from a
    table in hand without a query: the same table as its plan gives, on random small tables with nulls."""
    from efp_tables.stages.timeline import lazy_table, picked, table_of
    rng, filtered = random.Random(11), 0
    for case in range(300):
        keys, table = _frames(rng)
        where = rng.choice([None, ("system_id", "s1")])
        present = rng.choice([None, "job_id", "system_id"])
        columns = rng.sample(["system_id", "job_id", "x"], rng.randint(1, 3))
        named = [(f"renamed_{c}", c) if rng.random() < 0.3 else c for c in columns]
        ours = table_of(picked(lazy_table(keys), *named, where=where, present=present))
        expected = picked(keys.lazy(), *named, where=where, present=present).collect()
        assert_frame_equal(ours, expected), f"case {case}"
        filtered += ours.height < keys.height
    assert filtered > 50
