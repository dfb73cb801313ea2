"""The Python API builds the same model as efootprint's quickstart.json and gives the same results."""

import polars as pl
import pytest

from conftest import REFERENCE, parity
from efp_tables.builders.api import Country, Device, Job, Server, Storage
from efp_tables.cli import main
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.quickstart import quickstart_system




@pytest.fixture(scope="module")
def api_results():
    return quickstart_system().compute()


def test_api_quickstart_has_the_objects_and_inputs_of_quickstart_json():
    api, ref = quickstart_system().model(), read_model(REFERENCE / "quickstart.json")
    for name, frame in ref.items():
        if name in ("hourly_occurrences", "systems"):
            continue
        ours = api.table(name)
        assert sorted(ours.columns) == sorted(frame.columns)
        ours, frame = ours.select(sorted(ours.columns)), frame.select(sorted(frame.columns))
        key = [c for c in frame.columns if c.endswith("_id")]
        joined = ours.sort(key).drop("name", strict=False), frame.sort(key).drop("name", strict=False)
        for column in joined[0].columns:
            left, right = joined[0][column], joined[1][column]
            if left.dtype == pl.Float64:
                assert ((left - right).abs() <= 1e-9 * right.abs()).all() or left.equals(right), (name, column)
            else:
                assert left.equals(right), (name, column, left.to_list(), right.to_list())


def test_api_quickstart_equals_efootprint_reference(api_results):
    ours = api_results.long().drop("system_id")
    ref = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
    assert parity().compare(ours, ref, show=10)


def test_api_and_json_totals_agree(api_results):
    from efp_tables.compute import compute
    json_total = compute(read_model(REFERENCE / "quickstart.json")).total_footprint_kg()["System"]
    api_total = api_results.total_footprint_kg()["System"]
    assert api_total == pytest.approx(json_total, rel=1e-6)
    assert api_total == pytest.approx(11_374_527, rel=1e-6)  # efootprint 27.0.0's sum of total_footprint


def test_quickstart_command_writes_results_and_chart(tmp_path):
    assert main(["quickstart", "--out", str(tmp_path)]) == 0
    results = pl.read_parquet(tmp_path / "results.parquet")
    total = results.filter(pl.col("attribute") == "total_footprint")["value"].sum()
    assert total == pytest.approx(11_374_527, rel=1e-6)
    png = (tmp_path / "footprint_by_category_and_object.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    html = (tmp_path / "footprint_by_category_and_object.html").read_text()
    assert "vega" in html and "Footprint by category and object" in html
    assert '"sort": ["Servers", "Storage", "ExternalAPIs", "Network", "Devices", "EdgeDevices"]' in html  # efootprint's order
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_from_defaults_and_archetypes():
    server = Server.from_defaults("web", average_carbon_intensity="50 g/kWh", storage=Storage.ssd())
    assert server.power == "300.0 watt" and server.average_carbon_intensity == "50 g/kWh"
    assert Storage.ssd().carbon_footprint_manufacturing_per_storage_capacity == "160.0 kilogram / terabyte_stored"
    assert Device.laptop().name == "Default laptop"
    france = Country.from_archetype("France")
    assert france.row()["average_carbon_intensity"] == pytest.approx(0.044)
    assert france.timezone == "Europe/Paris"


def test_api_rejects_bad_inputs_when_objects_are_created():
    with pytest.raises(ModelError, match=r"Server 'web'.*power.*watt"):
        Server.from_defaults("web", power="3 kg", storage=Storage.ssd())
    with pytest.raises(ModelError, match=r"Job 'j'.*server.*Storage"):
        Job.from_defaults("j", server=Storage.ssd())
    with pytest.raises(ModelError, match=r"Country.*Frnace.*France"):
        Country.from_archetype("Frnace")
