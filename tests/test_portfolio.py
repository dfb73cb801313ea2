"""Several systems compute in one plan, keyed by system_id, with the same numbers as one at a time."""
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model


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
