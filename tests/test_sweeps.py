"""Sweeps: every variant's totals equal efootprint's live model with the same inputs changed."""
import json
import random

import polars as pl
import pytest

from conftest import REFERENCE
from efootprint_live import LiveModel
from efp_tables.cli import main
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.sweeps import TOTAL_COLUMNS, parse_grid, sweep
from sweep_grids import QUICKSTART_GRID

QUICKSTART = REFERENCE / "quickstart.json"


@pytest.fixture(scope="module")
def quickstart_sweep():
    return sweep(read_model(QUICKSTART), QUICKSTART_GRID)


def _as_input(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def test_grid_is_the_cartesian_product_in_file_order(quickstart_sweep):
    assert quickstart_sweep.height == 10 * 5 * 4 * 5
    assert quickstart_sweep["variant"].to_list() == list(range(1000))
    first, last = quickstart_sweep.row(0, named=True), quickstart_sweep.row(999, named=True)
    assert [first[n] for n in QUICKSTART_GRID] == ["50 g/kWh", "0.5", "3 year", "5 MB"]
    assert [last[n] for n in QUICKSTART_GRID] == ["500 g/kWh", "0.9", "6 year", "50 MB"]
    assert quickstart_sweep.row(1, named=True)["video-upload.data_transferred"] == "10 MB"  # last varies fastest


def test_totals_are_the_sum_of_categories(quickstart_sweep):
    total = quickstart_sweep.select(pl.sum_horizontal(TOTAL_COLUMNS).alias("sum"))["sum"]
    assert (total - quickstart_sweep["total_footprint_kg"]).abs().max() < 1e-6


def test_sampled_variants_equal_efootprint_live_model(quickstart_sweep):
    live = LiveModel(QUICKSTART)
    rows = random.Random(27).sample(quickstart_sweep.rows(named=True), 24)
    for row in rows:
        for name in QUICKSTART_GRID:
            live.set(name, _as_input(row[name]))
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row


def test_baseline_variant_equals_the_reference_total():
    grid = {"variants": [{"server.average_carbon_intensity": "100 g/kWh"}, {"SSD-storage.lifespan": "4 year"}]}
    result = sweep(read_model(QUICKSTART), grid)
    assert result["total_footprint_kg"][0] == pytest.approx(11_374_527, rel=1e-6)  # the model's own inputs
    assert result["SSD-storage.lifespan"][0] == "baseline"
    live = LiveModel(QUICKSTART)
    live.set("SSD-storage.lifespan", "4 year")
    assert result["total_footprint_kg"][1] == pytest.approx(live.total_kg(), rel=1e-6)


def test_a_gpu_server_sweep_matches_efootprint():
    path = REFERENCE / "ml_workflow.json"
    model = read_model(path)
    server = model.servers.filter(pl.col("server_class") == "GPUServer")["server_id"][0]
    grid = {f"{server}.average_carbon_intensity": ["50 g/kWh", "500 g/kWh"], f"{server}.compute": ["4 gpu", "8 gpu"]}
    result = sweep(model, grid)
    live = LiveModel(path)
    for row in result.iter_rows(named=True):
        live.set(f"{server}.average_carbon_intensity", row[f"{server}.average_carbon_intensity"])
        live.set(f"{server}.compute", row[f"{server}.compute"])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row


@pytest.mark.parametrize(("grid", "message"), [
    ({"nope.lifespan": ["1 year"]}, r"no object 'nope'"),
    ({"server.colour": [1]}, r"Server 'server'.*colour.*numeric input"),
    ({"server.average_carbon_intensity": ["100 kg"]}, r"Server 'server'.*average_carbon_intensity.*100.*kilogram / kilowatt_hour"),
    ({"server.average_carbon_intensity": []}, r"non-empty list"),
    ({"server.utilization_rate": ["high"]}, r"Server 'server'.*utilization_rate.*high"),
    ({"server.utilization_rate": [1.5]}, r"Server 'server'.*utilization_rate.*1.5.*<= 1"),
    ({"SSD-storage.lifespan": ["-1 year"]}, r"Storage 'SSD-storage'.*lifespan.*-1 year"),
    ({"variants": []}, r"variants"),
    ({}, r"non-empty"),
])
def test_bad_grids_fail_before_computing(grid, message):
    with pytest.raises(ModelError, match=message):
        parse_grid(read_model(QUICKSTART), grid)


def test_sweep_command_writes_one_row_per_variant(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"server.average_carbon_intensity": ["100 g/kWh", "300 g/kWh"],
                                "SSD-storage.lifespan": ["4 year", "6 year"]}))
    assert main(["sweep", str(QUICKSTART), "--grid", str(grid), "--out", str(tmp_path / "out")]) == 0
    result = pl.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert result.columns[:4] == ["variant", "server.average_carbon_intensity", "SSD-storage.lifespan",
                                  "total_footprint_kg"]
    assert result.height == 4 and result["total_footprint_kg"][1] == pytest.approx(11_374_527, rel=1e-6)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"server.average_carbon_intensity": ["100 kg"]}))
    assert main(["sweep", str(QUICKSTART), "--grid", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())


def test_sweep_of_an_api_system():
    from efp_tables.quickstart import quickstart_system
    result = sweep(quickstart_system(), {"server.average_carbon_intensity": ["100 g/kWh", "200 g/kWh"]})
    assert result["total_footprint_kg"][0] == pytest.approx(11_374_527, rel=1e-6)
    assert result["total_footprint_kg"][1] > result["total_footprint_kg"][0]
