"""Every command on the edge_fleet reference, as a new user runs them: real values, efootprint's where it has
them (587,998.657 kg over the period)."""
import json

import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.cli import main

EDGE = REFERENCE / "edge_fleet.json"
TOTAL_KG = 587_998.657  # efootprint 27's System total_footprint, summed over the hours


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    out = tmp_path_factory.mktemp("edge") / "out"
    assert main(["compute", str(EDGE), "--out", str(out)]) == 0
    return out


def _total(results: pl.DataFrame) -> float:
    return results.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint"))[
        "value"].sum()


def test_compute_writes_efootprints_total_and_edge_bi_tables(computed):
    total = _total(pl.read_parquet(computed / "results.parquet"))
    assert total == pytest.approx(TOTAL_KG, rel=1e-6)
    by_category = pl.read_parquet(computed / "footprint_by_category.parquet")
    kg = by_category.columns[-1]
    edge = by_category.filter(pl.col("category") == "EdgeDevices")[kg].sum()
    assert by_category[kg].sum() == pytest.approx(total, rel=1e-9)
    assert edge == pytest.approx(586_584.66, rel=1e-6)  # the rest: the HQ server, its storage, the network
    assert (computed / "edge_devices_hourly.parquet").exists()


@pytest.mark.parametrize("kind, extra", [("footprint", []), ("cumulative", []),
                                         ("hourly", ["--object", "Self-checkout-kiosk", "--attribute",
                                                     "use_footprint"])])
def test_charts(computed, tmp_path, kind, extra):
    out = tmp_path / f"{kind}.html"
    assert main(["chart", str(computed), "--kind", kind, *extra, "--out", str(out)]) == 0
    assert "Self-checkout kiosk" in out.read_text() or "Self-checkout-kiosk" in out.read_text()


def test_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(EDGE), "--out", str(out)]) == 0
    page = out.read_text()
    assert "588.0 t" in page and "Self-checkout kiosk" in page


def test_explain_goes_down_to_the_inputs(capsys):
    assert main(["explain", str(EDGE), "Self-checkout-kiosk.instances_manufacturing_footprint", "--depth", "3"]) == 0
    text = capsys.readouterr().out
    assert "sum 120,686 kilogram" in text  # efootprint: 320 kg / 7 years x kiosks deployed, 6 per store
    assert "Self-checkout-kiosk.total_nb_of_units = 6 dimensionless" in text


def test_describe_lists_edge_inputs_and_no_derived_one(capsys):
    assert main(["describe", str(EDGE), "--json"]) == 0
    grid = json.loads(capsys.readouterr().out)
    assert grid["Supermarkets-in-Spain.usage_span"] == ["2 year"]
    assert grid["Self-checkout-kiosk.power"] == ["140 W"]
    assert grid["Gateway-SoC.compute_per_unit"] == ["4 cpu_core"]
    # the components an EdgeComputer or EdgeAppliance creates mirror their device: not inputs
    assert not [key for key in grid if key.startswith(("Self-checkout-kiosk-appliance.", "Back-office-mini-PC-CPU."))]
    assert "Back-office-SSD.power_per_unit" not in grid  # an EdgeStorage draws no power (efootprint 27)
    assert main(["describe", str(EDGE)]) == 0
    assert "edge_usage_patterns" in capsys.readouterr().out


def test_a_sweep_over_edge_inputs(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"Supermarkets-in-Spain.usage_span": ["1 year", "2 year"],
                                "Self-checkout-kiosk.power": ["140 W", "200 W"]}))
    assert main(["sweep", str(EDGE), "--grid", str(grid), "--out", str(tmp_path / "s")]) == 0
    totals = pl.read_parquet(tmp_path / "s" / "sweep.parquet").sort("variant")["total_footprint_kg"].to_list()
    assert totals[2] == pytest.approx(TOTAL_KG, rel=1e-6)  # 2 years, 140 W: the model as given
    assert totals[0] < totals[1] < totals[2] < totals[3]
    assert main(["sweep", str(EDGE), "--grid", str(grid), "--out", str(tmp_path / "s2")]) == 0
    grid.write_text(json.dumps({"Self-checkout-kiosk-appliance.power_per_unit": ["200 W"]}))
    assert main(["sweep", str(EDGE), "--grid", str(grid), "--out", str(tmp_path / "bad")]) == 2


def test_compare_and_upgrade(tmp_path, capsys):
    document = json.loads(EDGE.read_text())
    document["Country"]["Spain"]["average_carbon_intensity"]["value"] = 300.0
    other = tmp_path / "edge_b.json"
    other.write_text(json.dumps(document))
    assert main(["compare", str(EDGE), str(other), "--out", str(tmp_path / "cmp")]) == 0
    summary = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert summary["total_a"] == pytest.approx(TOTAL_KG, rel=1e-6)
    assert summary["total_b"] > summary["total_a"]
    assert main(["upgrade", str(EDGE), "--out", str(tmp_path / "up.json")]) == 0
    assert "no upgrade needed" in capsys.readouterr().out
    assert json.loads((tmp_path / "up.json").read_text())["EdgeUsagePattern"].keys() == {"Supermarkets-in-Spain"}
