"""`efp sweep --attribution`: per variant, the footprint each usage pattern (and journey) causes, equal to the
attribution atoms of that variant's own model, adding up to the variant's total; numeric and structural grids."""
import json

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.cli import main
from efp_tables.compute import compute, parameters
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.stages.attribution import attribution_totals
from efp_tables.sweeps import parse_grid, sweep, variant_model

GRID = {"Web-application-server.average_carbon_intensity": ["100 g/kWh", "350 g/kWh"],
        "France.average_carbon_intensity": ["50 g/kWh", "85 g/kWh", "400 g/kWh"],
        "Shopping-journey.uj_steps": [["Browse-the-catalog", "Add-an-item-to-the-cart", "Check-out"],
                                      ["Browse-the-catalog", "Browse-the-catalog", "Check-out"]]}


@pytest.fixture(scope="module")
def ecommerce():
    return read_model(REFERENCE / "ecommerce.json")


@pytest.fixture(scope="module")
def swept(ecommerce):
    return sweep(ecommerce, GRID, attribution=("usage_pattern", "journey"), chunk_size=5)


def by(model, column):
    atoms = compute(model).hourly("attribution")
    rows = atoms.keys.with_columns(pl.Series("kg", atoms.period_sums("value")))
    return dict(rows.group_by(column).agg(pl.col("kg").sum()).iter_rows())


def test_pattern_and_journey_columns_add_up_to_each_variant_total(swept):
    assert swept.height == 12
    patterns = [c for c in swept.columns if c.startswith("usage_pattern_")]
    journeys = [c for c in swept.columns if c.startswith("journey_")]
    assert patterns == ["usage_pattern_Daily-shoppers-in-France_kg", "usage_pattern_Daily-shoppers-in-the-US_kg"]
    assert journeys == ["journey_Shopping-journey_kg"]
    total = swept["total_footprint_kg"].to_numpy()
    assert np.allclose(swept.select(pl.sum_horizontal(patterns)).to_series().to_numpy(), total, rtol=1e-9)
    assert np.allclose(swept[journeys[0]].to_numpy(), total, rtol=1e-9)
    # France's carbon intensity moves France's pattern only (its devices and network), not the US pattern
    us = swept["usage_pattern_Daily-shoppers-in-the-US_kg"].to_numpy().reshape(2, 3, 2)
    assert np.allclose(us[:, 0, :], us[:, 2, :], rtol=1e-12)
    france = swept["usage_pattern_Daily-shoppers-in-France_kg"].to_numpy().reshape(2, 3, 2)
    assert (france[:, 2, :] > france[:, 0, :]).all()


@pytest.mark.parametrize("variant", [0, 5, 7, 10])
def test_each_variant_equals_its_own_model(ecommerce, swept, variant):
    model = variant_model(ecommerce, parse_grid(ecommerce, GRID), variant)
    patterns = by(model, "usage_pattern_id")
    row = swept.row(variant, named=True)
    for pattern, kg in patterns.items():
        assert row[f"usage_pattern_{pattern}_kg"] == pytest.approx(kg, rel=1e-9)


def test_base_values_equal_efootprint_atoms(ecommerce):
    grid = {"Web-application-server.average_carbon_intensity": ["100 g/kWh", "350 g/kWh"]}  # 100: the model's own
    row = sweep(ecommerce, grid, attribution=("usage_pattern",)).row(0, named=True)
    reference = (pl.read_parquet(REFERENCE / "ecommerce.attribution.parquet").group_by("usage_pattern_id")
                 .agg(pl.col("value_kg").sum()))
    for pattern, kg in reference.iter_rows():
        assert row[f"usage_pattern_{pattern}_kg"] == pytest.approx(kg, rel=1e-6)


def test_cli_flags(tmp_path, capsys):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"Web-application-server.average_carbon_intensity": ["100 g/kWh", "350 g/kWh"]}))
    model = str(REFERENCE / "ecommerce.json")
    assert main(["sweep", model, "--grid", str(grid), "--out", str(tmp_path / "a"), "--attribution"]) == 0
    table = pl.read_parquet(tmp_path / "a" / "sweep.parquet")
    assert "usage_pattern_Daily-shoppers-in-France_kg" in table.columns
    assert not any(c.startswith("journey_") for c in table.columns)
    assert main(["sweep", model, "--grid", str(grid), "--out", str(tmp_path / "b"), "--journeys"]) == 2
    assert "--attribution as well" in capsys.readouterr().err
    with pytest.raises(ModelError, match="levels among"):
        sweep(read_model(model), json.loads(grid.read_text()), attribution=("step",))


def test_edge_patterns_and_journeys_have_columns_equal_to_their_atoms():
    edge = read_model(REFERENCE / "edge_fleet.json")
    grid = {"Spain.average_carbon_intensity": ["217 g/kWh", "400 g/kWh"],
            "HQ-inventory-API.average_carbon_intensity": ["100 g/kWh", "300 g/kWh"]}
    swept = sweep(edge, grid, attribution=("usage_pattern", "journey"))
    assert [c for c in swept.columns if c.endswith("_kg") and c.startswith(("usage_pattern_", "journey_"))] == [
        "usage_pattern_Supermarkets-in-Spain_kg", "journey_Supermarket-operations_kg"]
    total = swept["total_footprint_kg"].to_numpy()
    assert np.allclose(swept["usage_pattern_Supermarkets-in-Spain_kg"].to_numpy(), total, rtol=1e-9)
    assert np.allclose(swept["journey_Supermarket-operations_kg"].to_numpy(), total, rtol=1e-9)
    for variant in (0, 3):
        own = by(variant_model(edge, parse_grid(edge, grid), variant), "journey_id")
        assert swept.row(variant, named=True)["journey_Supermarket-operations_kg"] == pytest.approx(
            own["Supermarket-operations"], rel=1e-9)
    assert total[3] > total[0]


@pytest.mark.parametrize("name", ["ecommerce", "edge_fleet", "quickstart_llm"])
def test_atom_totals_are_the_atoms_period_sums_bit_for_bit(name):
    """What a sweep groups (`attribution_totals`, made tile by tile) is the hourly atoms summed: same rows, same bits."""
    result = compute(read_model(REFERENCE / f"{name}.json"))
    atoms = result.hourly("attribution")
    totals = attribution_totals(*(result.frames[p] for p in parameters(attribution_totals)))
    keys = totals.drop("value")
    assert keys.equals(atoms.keys.select(keys.columns))
    assert np.array_equal(totals["value"].to_numpy().view(np.int64), atoms.period_sums("value").view(np.int64))
