"""Round trip through efootprint 27 JSON: read a reference scenario, write it with `write_model`, then
(a) read the written file back: every input table equals the first read;
(b) run efootprint 27.0.0 itself on the written file (shared/tools/efootprint_dump.py): its results equal the
    reference results, by shared/tools/parity.py's `compare`.

The efootprint runs are the slow part (seconds each, mostly writing their long results table): they start in
subprocesses all at once when the module starts, and run while the other tests do (the parity tests come last).
Subprocesses also keep efootprint_dump's process-wide switch to name-based ids out of the test process."""
import dataclasses
import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import REFERENCE, SHARED, parity
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.io.efootprint_json_writer import model_document, write_model
from efp_tables.tables import schema as s

SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "edge_fleet", "genai_assistant"]
TOOLS = SHARED / "tools"
_DUMP = ("import sys; sys.path.insert(0, sys.argv[1]); import efootprint_dump; "
         "efootprint_dump.dump(sys.argv[2], sys.argv[3])")


def assert_models_equal(first, second) -> None:
    for name, frame in first.items():
        try:
            assert_frame_equal(frame, second.table(name), check_exact=False, rel_tol=1e-12, abs_tol=0.0)
        except AssertionError as exc:
            raise AssertionError(f"table {name}: {exc}") from None




@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """scenario -> (model read from the reference JSON, path of the file written from it), made on demand."""
    folder = tmp_path_factory.mktemp("roundtrip")
    cache = {}

    def get(scenario):
        if scenario not in cache:
            model = read_model(REFERENCE / f"{scenario}.json")
            cache[scenario] = (model, write_model(model, folder / f"{scenario}.json"))
        return cache[scenario]
    return get


@pytest.fixture(scope="module", autouse=True)
def efootprint_runs(request, written):
    """scenario -> (process, results parquet, log): efootprint_dump.dump on the written file, in a subprocess.
    The scenarios of this module's selected efootprint tests all start when the module starts, so that they
    run while the other tests do."""
    runs = {}
    wanted = [item.callspec.params["scenario"] for item in request.session.items
              if item.module is request.module and item.originalname == "test_efootprint_results_match_reference"
              and hasattr(item, "callspec")]

    def start(scenario):
        _, path = written(scenario)
        out, log = path.with_suffix(".results.parquet"), path.with_suffix(".log")
        with open(log, "w") as handle:
            process = subprocess.Popen([sys.executable, "-c", _DUMP, str(TOOLS), str(path), str(out)],
                                       stdout=handle, stderr=subprocess.STDOUT)
        runs[scenario] = (process, out, log)

    def get(scenario):
        if scenario not in runs:
            start(scenario)
        return runs[scenario]
    for scenario in dict.fromkeys(wanted):
        start(scenario)
    yield get
    for process, _, _ in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_written_file_reads_back_to_the_same_tables(scenario, written):
    model, path = written(scenario)
    assert_models_equal(model, read_model(path))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_objects_and_attributes_as_efootprint(scenario, written):
    """The written file has efootprint's classes, ids, names and attributes (hourly occurrences as compressed
    values whatever the input was), and the units it writes are the reference's or convert to the same value."""
    _, path = written(scenario)
    ours = json.loads(path.read_text())
    ref = json.loads((REFERENCE / f"{scenario}.json").read_text())
    assert ours["efootprint_version"] == "27.0.0"
    assert set(ours) == set(ref) | {"Sources"}
    for cls, objects in ref.items():
        if cls in ("efootprint_version", "Sources"):
            continue
        assert set(ours[cls]) == set(objects), cls
        for object_id, obj in objects.items():
            mine = ours[cls][object_id]
            assert mine["id"] == object_id and mine["name"] == obj["name"]
            assert set(mine) == set(obj), (cls, object_id, set(mine) ^ set(obj))
            hourly = mine.get("hourly_occurrences")
            if hourly is not None:
                assert set(hourly) == {"compressed_values", "unit", "start_date", "timezone", "label", "source"}
                assert hourly["timezone"] is None and hourly["unit"] == "occurrence"
                assert len(hourly["start_date"]) == len("2025-01-01 00:00:00")
            for attribute in ("usage_journeys", "uj_steps", "jobs"):
                if attribute in obj:
                    assert list(mine[attribute]) == list(obj[attribute])  # order kept
            if "fixed_nb_of_instances" in obj:
                assert mine["fixed_nb_of_instances"]["value"] is None
    for server in ours.get("GPUServer", {}).values():  # per-GPU inputs, not the derived totals
        assert "gpu_power" in server and "power" not in server and "ram" not in server
    for server in ours.get("BoaviztaCloudServer", {}).values():
        assert {"provider", "instance_type", "idle_power"} <= set(server) and "compute" not in server


def test_units_as_efootprint_writes_them(written):
    _, path = written("ecommerce")
    doc = json.loads(path.read_text())
    device = doc["Device"]["Default-laptop"]
    assert (device["power"]["value"], device["power"]["unit"]) == (50.0, "watt")
    assert (device["lifespan"]["value"], device["lifespan"]["unit"]) == (6.0, "year")
    assert (device["fraction_of_usage_time"]["value"], device["fraction_of_usage_time"]["unit"]) == (7.0, "hour / day")
    country = doc["Country"]["France"]
    assert (country["average_carbon_intensity"]["value"], country["average_carbon_intensity"]["unit"]) == \
        (44.0, "gram / kilowatt_hour")
    assert country["timezone"]["zone"] == "Europe/Paris"
    job = doc["Job"]["Serve-catalog-page"]
    assert (job["request_duration"]["value"], job["request_duration"]["unit"]) == (120.0, "millisecond")
    assert (job["ram_needed"]["value"], job["ram_needed"]["unit"]) == (80.0, "megabyte_ram")
    network = doc["Network"]["Default-wifi-network"]["bandwidth_energy_intensity"]
    assert (network["value"], network["unit"]) == (0.05, "kilowatt_hour / gigabyte")
    storage = doc["Storage"]["Product-database-storage"]
    assert (storage["base_storage_need"]["value"], storage["base_storage_need"]["unit"]) == (200.0, "gigabyte_stored")
    assert (storage["data_storage_duration"]["value"], storage["data_storage_duration"]["unit"]) == (43830.0, "hour")
    assert doc["BoaviztaCloudServer"]["Web-application-server"]["server_type"]["value"] == "autoscaling"


def test_form_inputs_are_written_as_their_hourly_values(written):
    model, path = written("ml_workflow")
    doc = json.loads(path.read_text())
    hourly = doc["UsagePattern"]["Weekly-retraining-pattern"]["hourly_occurrences"]
    assert "form_inputs" not in hourly and hourly["start_date"] == "2025-01-01 00:00:00"
    from efp_tables.builders.time_series import decode_compressed
    values = decode_compressed(hourly["compressed_values"], "test")
    expected = (model.hourly_occurrences.filter(pl.col("usage_pattern_id") == "Weekly-retraining-pattern")
                .sort("hour")["occurrences"].to_numpy())
    assert values.dtype == np.float32 and np.array_equal(values.astype(np.float64), expected)


def _perturbed(model):
    """Every quantity of every object table scaled by an awkward factor (within its bounds), a fixed number
    of instances on the on-premise servers and a base compute consumption on video streaming services."""
    factor = 1.2345678901234567
    frames = {}
    for table in s.OBJECT_TABLES:
        frame = model.table(table.name)
        exprs = []
        for f in table.fields:
            if f.dtype == pl.Float64 and f.name != "fixed_nb_of_instances":
                scale = 1 / factor if f.le is not None else factor
                exprs.append(pl.col(f.name) * scale)
        frames[table.name] = frame.with_columns(exprs) if exprs else frame
    frames["servers"] = frames["servers"].with_columns(
        fixed_nb_of_instances=pl.when(pl.col("server_type") == "on-premise").then(pl.lit(3.0)))
    frames["storages"] = frames["storages"].with_columns(fixed_nb_of_instances=pl.lit(None, pl.Float64),
                                                         power=pl.lit(1 / 3))
    frames["services"] = frames["services"].with_columns(base_compute_consumption=pl.lit(0.7))
    frames["jobs"] = frames["jobs"].with_columns(data_stored=-pl.col("data_stored"))
    return dataclasses.replace(model, **frames).validated()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_awkward_values_round_trip(scenario, written, tmp_path):
    model = _perturbed(written(scenario)[0])
    assert_models_equal(model, read_model(write_model(model, tmp_path / "m.json")))


def test_several_systems_need_a_system_id(tmp_path):
    ecommerce = read_model(REFERENCE / "ecommerce.json", system_id="b")
    portfolio = read_models([REFERENCE / "quickstart.json", REFERENCE / "ecommerce.json"], ["a", "b"])
    with pytest.raises(ModelError, match="system_id"):
        model_document(portfolio)
    with pytest.raises(ModelError, match="'c'"):
        write_model(portfolio, tmp_path / "c.json", system_id="c")
    assert not (tmp_path / "c.json").exists()
    path = write_model(portfolio, tmp_path / "b.json", system_id="b")
    assert list(json.loads(path.read_text())["System"]) == ["b"]
    assert_models_equal(ecommerce, read_model(path))


def test_write_is_atomic_and_replaces(tmp_path):
    model = read_model(REFERENCE / "quickstart_llm.json")
    target = tmp_path / "sub" / "model.json"
    target.parent.mkdir()
    target.write_text("old")
    assert write_model(model, target) == target
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]  # no temporary file left
    assert json.loads(target.read_text())["System"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_efootprint_results_match_reference(scenario, efootprint_runs, capsys):
    process, out, log = efootprint_runs(scenario)
    assert process.wait(timeout=1800) == 0, log.read_text()[-4000:]
    ok = parity().compare(pl.read_parquet(out), pl.read_parquet(REFERENCE / f"{scenario}.results.parquet"))
    report = capsys.readouterr().out
    summary = report.strip().splitlines()[-1]
    print(f"{scenario}: {summary}")
    assert ok, report
    assert summary.startswith("parity: OK"), summary
    assert "required missing 0/" in summary and "mismatched 0)" in summary
