"""`efp compare` and System.compare_to equal efootprint 27's compare_to (shared/reference/*_vs_b.comparison.json
and .timeseries.parquet): totals within 1e-6, the same decomposition, changed attributes and one-side objects,
the same pairs of objects; sweep variants compare without models written; clear errors."""
import json

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.cli import main
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.outputs.comparison import compare_variants, display_quantity
from efp_tables.sweeps import sweep
from efp_tables.units import Quantity


@pytest.fixture(scope="module", params=["quickstart", "ecommerce"])
def compared(request, tmp_path_factory):
    scenario = request.param
    out = tmp_path_factory.mktemp(f"{scenario}_vs_b")
    assert main(["compare", str(REFERENCE / f"{scenario}.json"), str(REFERENCE / f"{scenario}_b.json"),
                 "--out", str(out)]) == 0
    reference = json.loads((REFERENCE / f"{scenario}_vs_b.comparison.json").read_text())
    return scenario, out, json.loads((out / "comparison.json").read_text()), reference


def test_totals_and_decomposition_equal_efootprint(compared):
    _, _, ours, theirs = compared
    for key in ("total_a", "total_b"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-6)
    assert ours["delta"]["absolute"] == pytest.approx(theirs["delta"]["absolute"], rel=1e-5)
    assert ours["delta"]["relative"] == pytest.approx(theirs["delta"]["relative"], rel=1e-5)
    assert [(r["category"], r["phase"]) for r in ours["decomposition"]] == \
        [(r["category"], r["phase"]) for r in theirs["decomposition"]]
    for mine, reference in zip(ours["decomposition"], theirs["decomposition"]):
        # efootprint's sums are float32: a delta is good to 1e-6 of the sums it subtracts, not of itself
        tolerance = 1e-6 * max(abs(reference["a"]), abs(reference["b"])) + 1e-9
        for side in ("a", "b", "delta"):
            value = mine[side] if side != "delta" else mine["absolute"]
            assert value == pytest.approx(reference[side], abs=tolerance), (mine, reference)
        assert (mine["relative"] is None) == (reference["relative"] is None)
    assert sum(r["absolute"] for r in ours["decomposition"]) == pytest.approx(ours["delta"]["absolute"], rel=1e-9)
    assert ours["b"]["system_id"] != ours["a"]["system_id"] and ours["a"]["system_name"] == ours["b"]["system_name"]


def test_input_diff_and_matching_equal_efootprint(compared):
    scenario, _, ours, theirs = compared
    assert ours["input_diff"] == theirs["input_diff"]
    assert sorted(map(json.dumps, ours["matching"]["pairs"])) == sorted(map(json.dumps, theirs["matching"]["pairs"]))
    changed = {(r["object_name_a"], r["attribute"]) for r in ours["input_diff"]["changed"]}
    assert len(changed) == 2  # one carbon intensity and one job's data_transferred, in both scenarios


def test_aligned_series_equal_efootprint(compared):
    scenario, out, ours, theirs = compared
    series = pl.read_parquet(out / "comparison.timeseries.parquet")
    reference = pl.read_parquet(REFERENCE / f"{scenario}_vs_b.timeseries.parquet")
    assert series.columns == reference.columns
    assert series["hour"].to_list() == reference["hour"].to_list()
    for column in reference.columns[1:]:
        peak = np.abs(reference[column].to_numpy()).max()
        assert np.abs(series[column].to_numpy() - reference[column].to_numpy()).max() <= 1e-4 * peak, column
    assert ours["time_series"]["last_cumulative_a"] == pytest.approx(theirs["time_series"]["last_cumulative_a"],
                                                                     rel=1e-6)
    assert ours["time_series"]["hours"] == theirs["time_series"]["hours"]
    assert (out / "comparison.html").stat().st_size > 10_000


def test_sweep_variants_compare_without_models_written(tmp_path):
    model = read_model(REFERENCE / "quickstart.json")
    grid = {"server.average_carbon_intensity": ["100 g/kWh", "300 g/kWh"], "SSD-storage.lifespan": ["4 year", "6 year"]}
    comparison = compare_variants(model, grid, 0, 3)
    totals = sweep(model, grid)["total_footprint_kg"].to_list()
    assert comparison.summary["total_a"] == pytest.approx(totals[0], rel=1e-9)
    assert comparison.summary["total_b"] == pytest.approx(totals[3], rel=1e-9)
    changed = [(r["object_name_a"], r["attribute"], r["value_a"], r["value_b"])
               for r in comparison.summary["input_diff"]["changed"]]
    assert changed == [("server", "average_carbon_intensity", "100 g/kWh", "300 g/kWh"),
                       ("SSD storage", "lifespan", "4 yr", "6 yr")]
    assert sorted(tmp_path.iterdir()) == []  # nothing written on the way
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(grid))
    assert main(["compare", str(REFERENCE / "quickstart.json"), "--grid", str(path), "--variants", "1", "2",
                 "--out", str(tmp_path / "out")]) == 0
    written = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert written["total_b"] == pytest.approx(totals[2], rel=1e-9)
    with pytest.raises(ModelError, match="variant j"):
        compare_variants(model, grid, 0, 4)


def test_api_compare_to():
    from efp_tables.quickstart import quickstart_system
    a, b = quickstart_system(), quickstart_system()
    server = next(o for p in b.usage_patterns for j in p.usage_journeys for s in j.uj_steps for job in s.jobs
                  for o in [getattr(job, "server", None) or job.service.server] if o is not None)
    server.average_carbon_intensity = "300 g/kWh"
    comparison = a.compare_to(b)
    rows = comparison.summary["input_diff"]["changed"]
    assert [(r["object_name_a"], r["attribute"], r["value_b"]) for r in rows] == \
        [("server", "average_carbon_intensity", "300 g/kWh")]
    servers_use = next(r for r in comparison.summary["decomposition"]
                       if (r["category"], r["phase"]) == ("Servers", "use"))
    assert servers_use["b"] == pytest.approx(3 * servers_use["a"], rel=1e-9)
    assert comparison.summary["delta"]["absolute"] == pytest.approx(2 * servers_use["a"], rel=1e-9)


def _elsewhere(document: dict) -> dict:
    """The same model with every object renamed (id and name): it shares no object with the original."""
    ids = {object_id for cls, objects in document.items() if cls not in ("efootprint_version", "Sources", "System")
           for object_id in objects}

    def renamed(node, top=False):
        if isinstance(node, dict):
            return {(f"{key}-elsewhere" if key in ids and isinstance(value, dict) else key):
                    (f"{value} elsewhere" if key == "name" and not top else renamed(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [renamed(item) for item in node]
        return f"{node}-elsewhere" if isinstance(node, str) and node in ids else node
    return {cls: renamed(objects) if cls not in ("efootprint_version", "Sources") else objects
            for cls, objects in document.items()}


def test_models_that_share_no_object_are_refused(tmp_path, capsys):
    text = json.dumps(_elsewhere(json.loads((REFERENCE / "quickstart.json").read_text())))
    other = tmp_path / "elsewhere.json"
    other.write_text(text)
    assert main(["compare", str(REFERENCE / "quickstart.json"), str(other), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "no object in common" in error and "share objects" in error
    assert not (tmp_path / "out").exists()
    assert main(["compare", str(REFERENCE / "quickstart.json"), "--out", str(tmp_path / "out")]) == 2
    assert "two efootprint JSON files" in capsys.readouterr().err


@pytest.mark.parametrize("text, shown", [("100 g/kWh", "100 g/kWh"), ("1.5 MB", "1.5 MB"), ("1200 kg", "1.2 t"),
                                         ("70 s", "1.17 min"), ("6 year", "6 yr"), ("0.5", "0.5 "),
                                         ("12345.6 kg", "12.3 t"), ("2500 TB_stored", "2,500 TB stored")])
def test_values_display_as_efootprint_shows_them(text, shown):
    assert display_quantity(Quantity(text)) == shown


def test_edge_models_compare_with_efootprint_totals(tmp_path):
    from efootprint_live import LiveModel
    b = json.loads((REFERENCE / "edge_fleet.json").read_text())
    b["Country"]["Spain"]["average_carbon_intensity"]["value"] = 300.0  # g/kWh, was 146
    (tmp_path / "b.json").write_text(json.dumps(b))
    assert main(["compare", str(REFERENCE / "edge_fleet.json"), str(tmp_path / "b.json"), "--out",
                 str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert result["total_a"] == pytest.approx(LiveModel(REFERENCE / "edge_fleet.json").total_kg(), rel=1e-6)
    assert result["total_b"] == pytest.approx(LiveModel(tmp_path / "b.json").total_kg(), rel=1e-6)
    edge = {row["phase"]: row for row in result["decomposition"] if row["category"] == "EdgeDevices"}
    assert edge["manufacturing"]["absolute"] == 0.0
    assert edge["use"]["relative"] == pytest.approx(300 / 146 - 1, rel=1e-6)
    assert [row["attribute"] for row in result["input_diff"]["changed"]] == ["average_carbon_intensity"]
