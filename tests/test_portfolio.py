"""Several systems compute in one plan, keyed by system_id, with the same numbers as one at a time; many files are
read as one portfolio (read_models), an error naming its file."""
import json

import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model, read_models


def test_portfolio_equals_systems_computed_alone(tmp_path):
    paths = [REFERENCE / "quickstart.json", REFERENCE / "ml_workflow.json"]
    assert main(["compute", *map(str, paths), "--out", str(tmp_path)]) == 0
    together = pl.read_parquet(tmp_path / "results.parquet")
    assert sorted(together["system_id"].unique()) == ["ml_workflow", "quickstart"]
    for path in paths:
        # In a portfolio a System's id is its file's stem; every other id is kept as in the file.
        alone = (compute(read_model(path)).long().drop("system_id")
                 .with_columns(pl.when(pl.col("object_class") == "System").then(pl.lit(path.stem))
                               .otherwise(pl.col("object_id")).alias("object_id")))
        mine = together.filter(pl.col("system_id") == path.stem).drop("system_id")
        key = ["object_id", "attribute", "key_id", "hour"]
        joined = alone.join(mine, on=key, how="full", coalesce=True, nulls_equal=True, suffix="_together")
        assert joined.height == alone.height == mine.height
        difference = (joined["value"].fill_null(0) - joined["value_together"].fill_null(0)).abs()
        # Only the order of float additions inside group-bys may differ.
        assert (difference <= 1e-12 * joined["value"].fill_null(0).abs() + 1e-12).all()
    totals = together.filter(pl.col("attribute") == "total_footprint").group_by("system_id").agg(pl.col("value").sum())
    assert dict(totals.iter_rows()) == pytest.approx({"quickstart": 11_374_527, "ml_workflow": 11_736}, rel=1e-5)


def test_portfolio_rejects_clashing_system_ids(tmp_path):
    model = read_model(REFERENCE / "quickstart.json")
    with pytest.raises(ValueError, match="system_id"):
        model.concat(model)


def _same_models(one, other) -> None:
    for name, frame in one.items():
        assert frame.equals(other.table(name)), name


def test_read_models_is_the_files_read_one_by_one_and_concatenated():
    names = ["quickstart", "ml_workflow", "edge_fleet", "genai_assistant"]
    paths = [REFERENCE / f"{name}.json" for name in names]
    together = read_models(paths, names)
    alone = read_model(paths[0], names[0])
    for path, name in zip(paths[1:], names[1:]):
        alone = alone.concat(read_model(path, name))
    _same_models(together, alone)
    # one file: the same as read_model, its System's id kept
    _same_models(read_models(paths[:1]), read_model(paths[0]))


def test_copies_read_together_are_each_read_as_alone(tmp_path):
    # Copies' hourly series (compressed, form inputs, deployment starts) are read once per distinct JSON: a copy
    # whose start date differs keeps its own hours, and the series read twice equal their reads alone.
    document = json.loads((REFERENCE / "quickstart.json").read_text())
    pattern = next(iter(document["UsagePattern"].values()))
    pattern["hourly_occurrences"]["start_date"] = "2025-01-02 00:00:00"
    later = tmp_path / "later.json"
    later.write_text(json.dumps(document))
    names = ["quickstart", "quickstart", "ecommerce", "ecommerce", "edge_fleet", "edge_fleet"]
    paths = [REFERENCE / f"{name}.json" for name in names] + [later]
    ids = [f"{name}_{at}" for at, name in enumerate(names)] + ["later"]
    together = read_models(paths, ids)
    alone = read_model(paths[0], ids[0])
    for path, system_id in zip(paths[1:], ids[1:]):
        alone = alone.concat(read_model(path, system_id))
    _same_models(together, alone)
    occurrences = together.table("hourly_occurrences")
    first, shifted = (occurrences.filter(pl.col("system_id") == system_id) for system_id in ("quickstart_0", "later"))
    assert shifted["hour"].min() - first["hour"].min() == 24 and shifted["occurrences"].equals(first["occurrences"])


def test_read_models_rejects_clashing_system_ids(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text((REFERENCE / "quickstart.json").read_text())
    with pytest.raises(ModelError) as info:
        read_models([tmp_path / "a.json", tmp_path / "b.json"])
    assert str(info.value).startswith("portfolio: system_id = 'System': expected distinct system ids across models "
                                      "(a.json and b.json both have it)")
    assert read_models([tmp_path / "a.json", tmp_path / "b.json"], ["a", "b"]).system_ids == ["a", "b"]
    with pytest.raises(ModelError, match="one system id per file"):
        read_models([tmp_path / "a.json", tmp_path / "b.json"], ["a"])


def _copies(tmp_path, count: int, broken: int, breaking) -> list:
    """`count` copies of the quickstart, copy number `broken` changed by `breaking(document)`."""
    paths = []
    for i in range(count):
        document = json.loads((REFERENCE / "quickstart.json").read_text())
        if i == broken:
            breaking(document)
        paths.append(tmp_path / f"copy_{i:02d}.json")
        paths[-1].write_text(json.dumps(document))
    return paths


@pytest.mark.parametrize("breaking", [
    # found while reading the file
    lambda d: d["Device"][next(iter(d["Device"]))]["lifespan"].update(value=-1),
    # found by the validation of the whole portfolio
    lambda d: d["UsagePattern"][next(iter(d["UsagePattern"]))].update(usage_journeys={}),
    lambda d: d["Storage"][next(iter(d["Storage"]))].update(data_replication_factor={"value": -2, "unit": ""}),
], ids=["read", "rule", "value"])
def test_an_error_in_the_37th_file_names_it(tmp_path, breaking):
    paths = _copies(tmp_path, 40, 36, breaking)
    with pytest.raises(ModelError) as alone:
        read_model(paths[36])
    with pytest.raises(ModelError) as together:
        read_models(paths, [path.stem for path in paths])
    error = alone.value
    assert str(together.value) == str(ModelError(f"{error.obj} in copy_36.json", error.attribute, error.value,
                                                 error.expected))
    assert main(["compute", *map(str, paths[30:40]), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_json_in_a_portfolio_is_named(tmp_path):
    paths = _copies(tmp_path, 3, -1, None)
    paths[2].write_text('{"System": ')
    with pytest.raises(ModelError, match=f"^{paths[2]}: JSON = 'line 1 column 12'"):
        read_models(paths, ["a", "b", "c"])


def test_an_old_file_in_a_portfolio_is_explained_with_its_version(tmp_path):
    old = json.loads((REFERENCE / "old_versions" / "quickstart_v15.json").read_text())
    old["Storage"][next(iter(old["Storage"]))]["data_replication_factor"]["value"] = -2
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(ModelError) as info:
        read_models([REFERENCE / "quickstart.json", tmp_path / "old.json"], ["new", "old"])
    message = str(info.value)
    assert " in old.json: data_replication_factor = '-2 dimensionless'" in message, message
    assert "in a file of efootprint 15" in message, message
