"""Dated simulations equal efootprint's baseline and changed models spliced at the date (parity.py's rules),
and emission diffs add up."""
import subprocess
import sys
from datetime import datetime

import polars as pl
import pytest

from conftest import REFERENCE, SHARED, parity
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.io.efootprint_json_writer import write_model
from efp_tables.simulations import changed_model, diff_summary, emission_diffs, simulate, splice

CHANGES = {"server.average_carbon_intensity": "300 g/kWh", "video-upload.data_transferred": "30 MB",
           "SSD-storage.data_replication_factor": 2}
FROM = datetime(2026, 1, 1)
_DUMP = ("import sys; sys.path.insert(0, sys.argv[1]); import efootprint_dump; "
         "efootprint_dump.dump(sys.argv[2], sys.argv[3])")


def _compare(ours, ref):
    return parity().compare(ours, ref, show=10)


@pytest.fixture(scope="module")
def simulation():
    return simulate(read_model(REFERENCE / "quickstart.json"), CHANGES, FROM).drop("system_id")


# Edge inputs: an appliance's power, a component's lifespan, the country of an edge usage pattern.
EDGE_CHANGES = {"Self-checkout-kiosk.power": "200 W", "Gateway-SoC.lifespan": "8 year",
                "Spain.average_carbon_intensity": "300 g/kWh"}


@pytest.mark.parametrize("scenario, changes", [("quickstart", CHANGES), ("edge_fleet", EDGE_CHANGES)])
def test_simulation_equals_efootprint_models_spliced_at_the_date(scenario, changes, tmp_path):
    model = read_model(REFERENCE / f"{scenario}.json")
    simulated = simulate(model, changes, FROM).drop("system_id")
    changed_json = write_model(changed_model(model, changes), tmp_path / "changed.json")
    changed_ref = tmp_path / "changed.results.parquet"
    subprocess.run([sys.executable, "-c", _DUMP, str(SHARED / "tools"), str(changed_json), str(changed_ref)],
                   check=True, capture_output=True)
    baseline = pl.read_parquet(REFERENCE / f"{scenario}.results.parquet")
    reference = splice(baseline, pl.read_parquet(changed_ref), FROM)
    assert _compare(simulated, reference)
    total = lambda frame: frame.filter(pl.col("attribute") == "total_footprint")["value"].sum()  # noqa: E731
    assert abs(total(simulated) / total(baseline) - 1) > 0.01  # the changes weigh


def test_before_the_date_is_the_baseline_and_from_it_the_changed_model(simulation):
    baseline = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
    total = lambda frame, keep: frame.filter((pl.col("attribute") == "total_footprint") & keep)["value"].sum()  # noqa: E731
    before = pl.col("hour") < FROM
    assert total(simulation, before) == pytest.approx(total(baseline, before), rel=1e-6)
    # less replication (storage) outweighs dirtier electricity and bigger uploads
    assert total(simulation, ~before) < total(baseline, ~before) * 0.99


def test_emission_diffs_add_up_and_are_zero_before_the_date(simulation):
    baseline = read_model(REFERENCE / "quickstart.json")
    from efp_tables.compute import compute
    before = compute(baseline).long().drop("system_id")
    diffs = emission_diffs(before, simulation)
    assert diffs.filter(pl.col("hour") < FROM)["delta_kg"].abs().max() < 1e-9
    system_delta = (simulation.filter(pl.col("attribute") == "total_footprint")["value"].sum()
                    - before.filter(pl.col("attribute") == "total_footprint")["value"].sum())
    assert diffs["delta_kg"].sum() == pytest.approx(system_delta, rel=1e-9)
    summary = diff_summary(diffs)
    assert summary["object_id"][0] == "SSD-storage" and summary["delta_kg"][0] < 0
    assert summary.filter(pl.col("object_id") == "server")["delta_kg"].max() > 0


def test_bad_changes_fail_before_computing():
    model = read_model(REFERENCE / "quickstart.json")
    with pytest.raises(ModelError, match=r"Server 'server'.*average_carbon_intensity.*3 kilogram"):
        changed_model(model, {"server.average_carbon_intensity": "3 kg"})
    with pytest.raises(ModelError, match="non-empty"):
        changed_model(model, {})


def test_simulate_command(tmp_path, capsys):
    from efp_tables.cli import main
    import json
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"server.average_carbon_intensity": "300 g/kWh"}))
    out = tmp_path / "out"
    assert main(["simulate", str(REFERENCE / "quickstart.json"), "--changes", str(changes), "--from", "2026-01-01",
                 "--out", str(out)]) == 0
    diffs = pl.read_parquet(out / "diffs.parquet")
    changed = diffs.filter(pl.col("delta_kg").abs() > 1e-9 * pl.col("before_kg").abs() + 1e-12)
    assert set(changed["object_id"]) == {"server"} and changed["hour"].min() >= FROM
    assert "server" in capsys.readouterr().out
    assert main(["simulate", str(REFERENCE / "quickstart.json"), "--changes", str(changes), "--from", "soon",
                 "--out", str(tmp_path / "bad")]) == 2
