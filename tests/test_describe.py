"""`efp describe`: every object and its inputs with values and units; --json is a grid that `efp sweep` takes
as it is, and that gives back the model's own total."""
import json

import polars as pl
import pytest

from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model
from efp_tables.outputs.describe import model_inputs
from efp_tables.tables import schema as s

from conftest import REFERENCE

MODELS = ("quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "quickstart_b", "ecommerce_b")
QUICKSTART = str(REFERENCE / "quickstart.json")


def test_describe_lists_every_object_with_its_inputs(capsys):
    assert main(["describe", QUICKSTART]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = read_model(QUICKSTART)
    headers = [line for line in lines if line and not line.startswith(" ")][:-1]
    objects = sum(model.table(t.name).height for t in s.OBJECT_TABLES) + 1  # and the System
    assert len(headers) == objects == 14
    assert headers[0] == "System System"
    assert 'Server server' in headers and 'Storage SSD-storage  "SSD storage"' in headers
    server = lines[lines.index("Server server") + 1:]
    server = server[:next(i for i, line in enumerate(server) if not line.startswith(" "))]
    values = {line.split()[0]: " ".join(line.split()[1:]) for line in server}
    assert values == {"server_type": "autoscaling", "carbon_footprint_manufacturing": "600 kg", "power": "300 W",
                      "idle_power": "50 W", "ram": "128 GB_ram", "compute": "24 cpu_core", "lifespan": "6 year",
                      "power_usage_effectiveness": "1.2", "average_carbon_intensity": "100 g/kWh",
                      "utilization_rate": "0.9", "base_ram_consumption": "300 MB_ram",
                      "base_compute_consumption": "2 cpu_core", "storage": "SSD-storage"}
    assert "  jobs" in "\n".join(lines) and "streaming, streaming-job" in "\n".join(lines)
    assert lines[-1] == "14 objects, 44 numeric inputs (efp describe --json: a grid of them)"


def test_describe_a_class_and_its_mistakes(capsys):
    assert main(["describe", str(REFERENCE / "ml_workflow.json"), "--class", "GPUServer"]) == 0
    out = capsys.readouterr().out
    assert out.count("GPUServer ") == 2 and "gpu_power" in out and "400 W/gpu" in out
    assert "\n  idle_power " not in out  # a GPUServer has gpu_idle_power, not a chassis' idle power
    assert main(["describe", str(REFERENCE / "ml_workflow.json"), "--class", "GPUsrver"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("efp: error: ") and err.endswith("did you mean 'GPUServer'?\n")


@pytest.mark.parametrize("name", MODELS)
def test_the_json_grid_skeleton_sweeps_as_it_is_to_the_models_total(name, tmp_path, capsys):
    path = str(REFERENCE / f"{name}.json")
    assert main(["describe", path, "--json"]) == 0
    grid = tmp_path / "grid.json"
    grid.write_text(capsys.readouterr().out)
    skeleton = json.loads(grid.read_text())
    model = read_model(path)
    numbers = model_inputs(model).filter(pl.col("kind") == "number")
    assert len(skeleton) == numbers.height > 20
    assert all(isinstance(values, list) and len(values) == 1 for values in skeleton.values())
    assert main(["sweep", path, "--grid", str(grid), "--out", str(tmp_path / "out")]) == 0
    [total] = compute(model).total_footprint_kg().values()
    swept = pl.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert swept.height == 1 and swept.columns[1:len(skeleton) + 1] == list(skeleton)  # variant, then them
    assert swept["total_footprint_kg"][0] == pytest.approx(total, rel=1e-9)
