"""Series that repeat bit for bit share one block row (Hourly.from_long), and the stages keep the sharing: copies of
one system in a portfolio compute each series once, with the numbers each copy has alone."""
import json

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.stages.hourly import Hourly

KEYS = ["system_id", "usage_pattern_id"]


def long_rows(series: dict[str, tuple[int, list[float]]]) -> pl.DataFrame:
    """Long rows (system_id, usage_pattern_id, hour, occurrences) of {pattern: (first hour, values)}, a series'
    rows together."""
    rows = [("s", pattern, first + at, value) for pattern, (first, values) in series.items()
            for at, value in enumerate(values)]
    return pl.DataFrame(rows, schema=["system_id", "usage_pattern_id", "hour", "occurrences"], orient="row")


def shared(frame: pl.DataFrame) -> tuple[Hourly, dict[str, int]]:
    series = Hourly.from_long(frame, KEYS, ["occurrences"])
    return series, dict(zip(series.keys["usage_pattern_id"].to_list(), series.rows.tolist()))


def test_repeated_series_share_a_block_row_and_read_back_as_given():
    values = [0.0, 1.5, 2.0, 0.25]
    frame = long_rows({"a": (10, values), "b": (10, values), "c": (11, values), "d": (10, [*values[:3], 0.5]),
                       "e": (10, values)})
    series, rows = shared(frame)
    assert series.blocks["occurrences"].shape == (3, 5)  # a, b and e one row; c (an hour later) and d their own
    assert rows["a"] == rows["b"] == rows["e"] and len({rows["a"], rows["c"], rows["d"]}) == 3
    back = series.long().sort(KEYS + ["hour"])
    assert back.select(frame.columns).equals(frame.sort(KEYS + ["hour"]))


@pytest.mark.parametrize("other", [
    [1.0, 2.0, np.nextafter(3.0, 4.0)],  # one ulp apart
    [1.0, 2.0, 3.0, 0.0],  # an hour more, of 0
])
def test_series_that_differ_in_a_bit_or_an_hour_do_not_share(other):
    series, rows = shared(long_rows({"a": (0, [1.0, 2.0, 3.0]), "b": (0, other)}))
    assert rows["a"] != rows["b"]
    assert series.long().filter(pl.col("usage_pattern_id") == "b")["occurrences"].to_list() == other


def test_a_negative_zero_is_not_shared_with_a_zero():
    series, rows = shared(long_rows({"a": (0, [1.0, 0.0]), "b": (0, [1.0, -0.0])}))
    assert rows["a"] != rows["b"]
    assert np.signbit(series.long().filter(pl.col("usage_pattern_id") == "b")["occurrences"][1])


def test_series_whose_rows_are_interleaved_share_too():
    frame = long_rows({"a": (0, [1.0, 2.0, 3.0]), "b": (0, [1.0, 2.0, 3.0]), "c": (0, [3.0, 2.0, 1.0])})
    interleaved = frame.with_row_index("_at").sort(pl.col("_at") % 3, "_at").drop("_at")
    series, rows = shared(interleaved)
    assert rows["a"] == rows["b"] != rows["c"] and series.blocks["occurrences"].shape[0] == 2
    assert series.long().sort(KEYS + ["hour"]).select(frame.columns).equals(frame)


def perturbed_copy(path, folder, name: str, factor: float):
    """The reference file with every carbon intensity and lifespan multiplied by `factor`, as portfolio copies."""
    document = json.loads(path.read_text())
    for objects in document.values():
        for obj in objects.values() if isinstance(objects, dict) else ():
            for attribute in ("average_carbon_intensity", "lifespan"):
                if isinstance(obj, dict) and isinstance(obj.get(attribute), dict) and "value" in obj[attribute]:
                    obj[attribute]["value"] *= factor
    copy = folder / f"{name}.json"
    copy.write_text(json.dumps(document))
    return copy


def test_copies_in_a_portfolio_share_their_series_and_keep_their_own_numbers(tmp_path):
    paths = [perturbed_copy(REFERENCE / "quickstart.json", tmp_path, f"quickstart_{at}", factor)
             for at, factor in enumerate((1.0, 0.8, 1.3))] + [REFERENCE / "ecommerce.json"]
    results = compute(read_models(paths, [path.stem for path in paths]))
    occurrences = results.hourly("local_hourly_occurrences")
    energy = results.hourly("server_energy")
    # The three quickstart copies hold one series where they hold three; so does every stage after them.
    assert occurrences.blocks["value"].shape[0] < occurrences.height - 1
    assert energy.blocks["instances_energy"].shape[0] < energy.height - 1
    together = results.long()
    for path in paths:
        alone = compute(read_model(path)).long().drop("system_id").with_columns(
            pl.when(pl.col("object_class") == "System").then(pl.lit(path.stem)).otherwise(pl.col("object_id"))
            .alias("object_id"))
        mine = together.filter(pl.col("system_id") == path.stem).drop("system_id")
        key = ["object_id", "attribute", "key_id", "hour"]
        # The same additions in the same order: the same bits.
        assert mine.sort(key).equals(alone.select(mine.columns).sort(key)), path.stem
    totals = results.total_footprint_kg()
    assert totals["quickstart_1"] != totals["quickstart_0"] != totals["quickstart_2"]


def test_a_series_alike_but_not_equal_to_the_first_is_still_shared_by_its_own_repeats():
    # b reorders a's values (the same sums of bits and the same exclusive or): b is not a, but c, equal to b, is b.
    series, rows = shared(long_rows({"a": (0, [1.0, 2.0, 3.0]), "b": (0, [3.0, 2.0, 1.0]), "c": (0, [3.0, 2.0, 1.0]),
                                     "d": (0, [1.0, 2.0, 3.0])}))
    assert rows["a"] == rows["d"] != rows["b"] == rows["c"]
    assert series.blocks["occurrences"].tolist() == [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]
