"""Bad input gets a clear error: a ModelError naming the object, the attribute, the offending value and what was
expected, from `read_model` and from `efp compute` (exit code 2, `efp: error: ...`, nothing left in --out)."""
import copy
import json

import numpy as np
import pint
import pytest

from conftest import REFERENCE
from efp_tables.builders.time_series import encode_compressed
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import InsufficientCapacityError, ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.units import Quantity, to_canonical

PATTERN = "Daily-video-streaming-consumption"
JOURNEY = "Mean-video-consumption-user-journey"


def load(name: str = "quickstart") -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def quickstart() -> dict:
    return load("quickstart")


@pytest.fixture
def qs(quickstart) -> dict:
    return copy.deepcopy(quickstart)


def write(tmp_path, document, name: str = "model.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def assert_cli_fails(path, tmp_path, capsys, *parts: str) -> None:
    out = tmp_path / "out"
    code = main(["compute", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("efp: error: "), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, (part, err)
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], f"files left in --out: {left}"


def assert_rejected(tmp_path, capsys, document, obj: str, attribute: str, value: str, *more: str,
                    error: type[ModelError] = ModelError) -> ModelError:
    """read_model raises `error` whose message names obj, attribute and value; so does the CLI."""
    path = document if not isinstance(document, (dict, str)) else write(tmp_path, document)
    with pytest.raises(error) as info:
        read_model(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    for part in (obj, attribute, value, *more):
        assert part in message, (part, message)
    assert "expected" in message
    assert_cli_fails(path, tmp_path, capsys, obj, attribute, value)
    return info.value


def hourly_values(document: dict, values) -> dict:
    series = document["UsagePattern"][PATTERN]["hourly_occurrences"]
    series.pop("compressed_values")
    series["values"] = values
    return document


# --- units and quantities ----------------------------------------------------------------------------------

def test_unknown_unit(qs, tmp_path, capsys):
    qs["Device"]["Default-laptop"]["carbon_footprint_manufacturing"]["unit"] = "kilogramz"
    assert_rejected(tmp_path, capsys, qs, "Device 'Default-laptop'", "carbon_footprint_manufacturing", "kilogramz",
                    "kilogram")


@pytest.mark.parametrize("text, unit", [
    ("50 g/kWh", "kg/kWh"), ("3 year", "hour"), ("0.5", "dimensionless"), ("1e3 MB", "GB"), (" 7.5  W ", "W"),
    ("-3 W", "W"), (".5 GB", "MB"), ("1 kg / kWh", "g/kWh"), ("2 kWh/year", "kWh/hour"), ("12 GB_ram", "GB_ram"),
    ("1/2 year", "hour"), ("2 * 3 MB", "MB")])
def test_quantity_strings_read_as_pint_parses_them(text, unit):
    # "number unit" strings skip pint's expression parser: same floats, bit for bit
    parsed = Quantity(text)
    expected = float((parsed if isinstance(parsed, pint.Quantity) else Quantity(float(parsed), "")).to(unit).magnitude)
    assert to_canonical(text, unit, obj="o", attribute="a") == expected


@pytest.mark.parametrize("text, expected", [("100 gCO2/kWh", "gCO2"), ("5 kilogramz", "kilogramz"),
                                            ("five kg", "five")])
def test_quantity_string_with_unknown_unit_names_it(text, expected):
    with pytest.raises(ModelError, match=expected):
        to_canonical(text, "kg/kWh", obj="Server 'server'", attribute="average_carbon_intensity")


def test_wrong_dimension(qs, tmp_path, capsys):
    qs["Server"]["server"]["power"]["unit"] = "kilogram"
    assert_rejected(tmp_path, capsys, qs, "Server 'server'", "power", "300.0 kilogram", "kilowatt")


def test_negative_data_transferred(qs, tmp_path, capsys):
    qs["Job"]["streaming"]["data_transferred"]["value"] = -5.0
    assert_rejected(tmp_path, capsys, qs, "Job 'streaming'", "data_transferred", "-5.0", ">= 0")


def test_negative_lifespan(qs, tmp_path, capsys):
    qs["Device"]["Default-laptop"]["lifespan"]["value"] = -6.0
    assert_rejected(tmp_path, capsys, qs, "Device 'Default-laptop'", "lifespan", "-6.0 year", "> 0")


def test_negative_hourly_occurrences(qs, tmp_path, capsys):
    hourly_values(qs, [1.0, 2.0, -3.0, 4.0])
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "hourly_occurrences", "-3.0", ">= 0")


def test_weight_not_a_number(qs, tmp_path, capsys):
    qs["UsageJourney"][JOURNEY]["uj_steps"]["20-min-streaming"]["value"] = "two"
    assert_rejected(tmp_path, capsys, qs, f"UsageJourney {JOURNEY!r}", "uj_steps[20-min-streaming]", "'two'",
                    "a number")


def test_weight_negative(qs, tmp_path, capsys):
    qs["UsageJourneyStep"]["20-min-streaming"]["jobs"]["streaming"]["value"] = -1.0
    assert_rejected(tmp_path, capsys, qs, "UsageJourneyStep '20-min-streaming'", "jobs[streaming]", "-1.0",
                    ">= 0")


def test_negative_gpu_count(tmp_path, capsys):
    document = load("ml_workflow")
    document["GPUServer"]["Training-GPU-server"]["compute"]["value"] = -8.0
    assert_rejected(tmp_path, capsys, document, "GPUServer 'Training-GPU-server'", "compute", "-8.0 gpu", ">= 0")


# --- links and ids -----------------------------------------------------------------------------------------

def test_dangling_job_server(qs, tmp_path, capsys):
    qs["Job"]["streaming"]["server"] = "ghost-server"
    assert_rejected(tmp_path, capsys, qs, "Job 'streaming'", "server", "ghost-server", "Server")


def test_pattern_country_object_missing(qs, tmp_path, capsys):
    del qs["Country"]["France"]
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "country", "'France'", "Country")


def test_pattern_country_attribute_missing(qs, tmp_path, capsys):
    del qs["UsagePattern"][PATTERN]["country"]
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "country", "None", "Country")


def test_link_to_wrong_class(qs, tmp_path, capsys):
    qs["Job"]["streaming"]["server"] = "SSD-storage"
    assert_rejected(tmp_path, capsys, qs, "Job 'streaming'", "server", "SSD-storage", "not a Storage")


def test_duplicate_id_across_classes(qs, tmp_path, capsys):
    qs["Network"]["server"] = dict(qs["Network"]["WIFI-network"], id="server")
    error = assert_rejected(tmp_path, capsys, qs, "'server'", "id", "'server'", "Network", "single object")
    assert "Server 'server'" in str(error) or "Network 'server'" in str(error)


def test_unknown_class(qs, tmp_path, capsys):
    qs["Serverz"] = qs.pop("Server")
    assert_rejected(tmp_path, capsys, qs, "model.json", "class", "'Serverz'", "did you mean 'Server'")


def test_cycle_through_wrong_class_is_rejected(qs, tmp_path, capsys):
    """With typed links, a cycle needs a link to the wrong class: a journey listing a journey as a step."""
    qs["UsageJourney"][JOURNEY]["uj_steps"][JOURNEY] = {"value": 1.0, "unit": "dimensionless"}
    assert_rejected(tmp_path, capsys, qs, f"UsageJourney {JOURNEY!r}", "uj_steps", JOURNEY,
                    "a UsageJourneyStep, not a UsageJourney")


def test_cycle_through_job_listing_a_step(qs, tmp_path, capsys):
    qs["UsageJourneyStep"]["20-min-streaming"]["jobs"]["20-min-streaming"] = {"value": 1.0, "unit": "dimensionless"}
    assert_rejected(tmp_path, capsys, qs, "UsageJourneyStep '20-min-streaming'", "jobs", "20-min-streaming",
                    "not a UsageJourneyStep")


# --- files -------------------------------------------------------------------------------------------------

def test_malformed_json(quickstart, tmp_path, capsys):
    path = write(tmp_path, json.dumps(quickstart)[:5000])
    assert_rejected(tmp_path, capsys, path, str(path), "JSON", "line 1 column", "valid JSON")


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "does_not_exist.json"
    assert_rejected(tmp_path, capsys, path, str(path), "file", "does_not_exist.json", "No such file")


# --- hourly series -----------------------------------------------------------------------------------------

def test_empty_compressed_values(qs, tmp_path, capsys):
    qs["UsagePattern"][PATTERN]["hourly_occurrences"]["compressed_values"] = encode_compressed(np.array([]))
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "hourly_occurrences.compressed_values",
                    "0 values", "at least one value")


def test_empty_values_list(qs, tmp_path, capsys):
    hourly_values(qs, [])
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "hourly_occurrences.values", "[]",
                    "at least one value")


def test_non_finite_hourly_value(qs, tmp_path, capsys):
    hourly_values(qs, [1.0, float("nan"), 2.0])  # json.dumps writes NaN, json.loads reads it
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "hourly_occurrences.values[1]", "nan",
                    "finite")


def test_non_finite_compressed_value(qs, tmp_path, capsys):
    qs["UsagePattern"][PATTERN]["hourly_occurrences"]["compressed_values"] = encode_compressed(
        np.array([1.0, 2.0, np.inf]))
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "hourly_occurrences.compressed_values[2]",
                    "inf", "finite")


# --- object attributes -------------------------------------------------------------------------------------

def test_unknown_timezone(qs, tmp_path, capsys):
    qs["Country"]["France"]["timezone"]["zone"] = "Europe/Pariss"
    assert_rejected(tmp_path, capsys, qs, "Country 'France'", "timezone", "Europe/Pariss", "'Europe/Paris'")


def test_unknown_server_type(qs, tmp_path, capsys):
    qs["Server"]["server"]["server_type"]["value"] = "autoscalling"
    assert_rejected(tmp_path, capsys, qs, "Server 'server'", "server_type", "autoscalling",
                    "did you mean 'autoscaling'")


def test_fixed_nb_of_instances_on_autoscaling_server(qs, tmp_path, capsys):
    qs["Server"]["server"]["fixed_nb_of_instances"] = {"value": 3, "unit": "dimensionless"}
    assert_rejected(tmp_path, capsys, qs, "Server 'server'", "fixed_nb_of_instances", "3.0", "on-premise")


def test_usage_pattern_without_journeys(qs, tmp_path, capsys):
    qs["UsagePattern"][PATTERN]["usage_journeys"] = {}
    assert_rejected(tmp_path, capsys, qs, f"UsagePattern {PATTERN!r}", "usage_journeys", "{}",
                    "at least one usage journey")


def test_video_resolution_without_size(qs, tmp_path, capsys):
    qs["VideoStreamingJob"]["streaming-job"]["resolution"]["value"] = "1080p"
    assert_rejected(tmp_path, capsys, qs, "VideoStreamingJob 'streaming-job'", "resolution", "'1080p'",
                    "(W x H)")


def test_unknown_cloud_provider(tmp_path, capsys):
    document = load("ecommerce")
    document["BoaviztaCloudServer"]["Web-application-server"]["provider"]["value"] = "scalewey"
    assert_rejected(tmp_path, capsys, document, "BoaviztaCloudServer 'Web-application-server'", "provider",
                    "scalewey", "close matches: ['scaleway']")


def test_unknown_cloud_instance_type(tmp_path, capsys):
    document = load("ecommerce")
    document["BoaviztaCloudServer"]["Web-application-server"]["instance_type"]["value"] = "ent1-z"
    error = assert_rejected(tmp_path, capsys, document, "BoaviztaCloudServer 'Web-application-server'",
                            "instance_type", "ent1-z", "close matches", "'ent1-s'")
    assert "scaleway" in str(error)


# --- capacity ----------------------------------------------------------------------------------------------

def test_insufficient_server_capacity(tmp_path, capsys):
    document = load("ecommerce")
    document["BoaviztaCloudServer"]["Web-application-server"]["base_ram_consumption"] = {
        "value": 1000, "unit": "gigabyte_ram"}
    path = write(tmp_path, document)
    model = read_model(path)  # a valid model: only the compute knows the instance's RAM
    with pytest.raises(InsufficientCapacityError) as info:
        compute(model)
    message = str(info.value)
    for part in ("'Web-application-server'", "RAM", "1000"):
        assert part in message, (part, message)
    assert_cli_fails(path, tmp_path, capsys, "'Web-application-server'", "RAM", "1000")


def test_on_premise_fixed_nb_of_instances_too_small(tmp_path, capsys):
    document = load("ecommerce")
    document["UsagePattern"]["Daily-shoppers-in-France"]["hourly_occurrences"]["form_inputs"]["initial_volume"] = 1.8e11
    document["BoaviztaCloudServer"]["Product-database-server"]["fixed_nb_of_instances"] = {
        "value": 1, "unit": "dimensionless"}
    path = write(tmp_path, document)
    results = compute(read_model(path))
    with pytest.raises(InsufficientCapacityError) as info:
        results.collected
    message = str(info.value)
    for part in ("'Product-database-server'", "fixed_nb_of_instances", "1 available"):
        assert part in message, (part, message)
    assert_cli_fails(path, tmp_path, capsys, "'Product-database-server'", "fixed_nb_of_instances")


def test_timezone_aware_hourly_series_is_rejected(tmp_path):
    """efootprint would take a UTC-aware series as already in UTC; we only model local series (reviewed)."""
    document = json.loads((REFERENCE / "quickstart.json").read_text())
    document["UsagePattern"]["Daily-video-streaming-consumption"]["hourly_occurrences"]["timezone"] = "UTC"
    path = tmp_path / "utc.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelError, match=r"Daily-video-streaming-consumption.*hourly_occurrences.timezone.*UTC"):
        read_model(path)
