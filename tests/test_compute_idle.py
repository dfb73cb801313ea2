"""compute's idle stage families: a model without edge objects (or without external APIs) gets those stages'
outputs as empties of the shapes a run of the stages gives (same key columns and dtypes, blocks, hour axis), and
every other stage the same output."""
import numpy as np
import pytest

from conftest import REFERENCE
from efp_tables import compute as compute_module
from efp_tables.compute import STAGES, compute, idle_stages
from efp_tables.io.efootprint_json import read_model
from efp_tables.stages.hourly import Hourly


def _shape(frame):
    if isinstance(frame, Hourly):
        return ("hourly", frame.keys.schema, frame.start, frame.width,
                {c: (b.shape[1], b.dtype) for c, b in frame.blocks.items()}, frame.scaled, list(frame.derived),
                frame.height)
    collected = frame.collect()
    return ("table", collected.schema, collected.height)


@pytest.mark.parametrize("scenario, families", [("quickstart", {"edge", "external_apis"}),
                                                ("edge_fleet", {"external_apis"}), ("genai_assistant", set())])
def test_idle_families_give_the_outputs_their_stages_give(scenario, families, monkeypatch):
    model = read_model(REFERENCE / f"{scenario}.json")
    idle = idle_stages(model)
    assert {stage.__module__.rsplit(".", 1)[-1] for stage in STAGES if stage.__name__ in idle} == families
    lean = compute(model)
    monkeypatch.setattr(compute_module, "idle_stages", lambda model: frozenset())
    full = compute(model)
    for stage in STAGES:
        name = stage.__name__
        assert _shape(lean.frames[name]) == _shape(full.frames[name]), name
        if name in idle:
            assert _shape(lean.frames[name])[-1] == 0, name
            for column in getattr(lean.frames[name], "derived", {}):  # read from the empty inputs it was made of
                assert lean.frames[name][column].shape == full.frames[name][column].shape, (name, column)
        else:
            assert lean.frame(name).equals(full.frame(name)), name
    assert lean.total_footprint_kg() == full.total_footprint_kg()


def test_idle_outputs_are_made_once_per_shape():
    model = read_model(REFERENCE / "quickstart.json")
    first, second = compute(model), compute(model)
    for name in idle_stages(model):
        assert first.frames[name] is second.frames[name], name
    assert np.isfinite(list(second.total_footprint_kg().values())).all()


@pytest.mark.parametrize("scenario, grid", [
    ("quickstart", {"France.average_carbon_intensity": ["50 g/kWh", "300 g/kWh"],
                    "SSD-storage.data_storage_duration": ["1 month", "2 year"]}),
    ("ecommerce", {"United-States.average_carbon_intensity": ["100 g/kWh", "400 g/kWh"]})])
def test_a_sweep_gives_idle_families_empties_with_the_same_totals(scenario, grid, monkeypatch):
    """A sweep's idle families too (their stages' empties then follow the swept countries' dimensions as a run
    would): the same totals and per-pattern footprints, bit for bit, as running the stages."""
    from efp_tables import sweeps
    model = read_model(REFERENCE / f"{scenario}.json")
    assert idle_stages(model)
    lean = sweeps.sweep(model, grid, attribution=("usage_pattern",))
    monkeypatch.setattr(sweeps, "idle_stages", lambda model: frozenset())
    full = sweeps.sweep(model, grid, attribution=("usage_pattern",))
    assert lean.equals(full) and lean.height == 4 // (2 if scenario == "ecommerce" else 1)
    assert lean["total_footprint_kg"].n_unique() == lean.height
