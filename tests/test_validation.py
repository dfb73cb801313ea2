"""Model validation: the fast path (polars expressions derived from the Field definitions, one pass) catches every
kind of value check with the failing object named, and agrees with the declared pandera schemas."""
import copy
import json

import pandera.errors
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import model_rows
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model

SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow"]
PATTERN = "Daily-video-streaming-consumption"


def rows_of(name: str) -> dict:
    return model_rows(json.loads((REFERENCE / f"{name}.json").read_text()))


@pytest.fixture(scope="module")
def quickstart_rows() -> dict:
    return rows_of("quickstart")


@pytest.fixture
def rows(quickstart_rows) -> dict:
    return {name: (copy.deepcopy(value) if isinstance(value, list) else value.clone())
            for name, value in quickstart_rows.items()}


def row(rows: dict, table: str, **match) -> dict:
    return next(r for r in rows[table] if all(r[k] == v for k, v in match.items()))


def rejected(rows: dict, *parts: str, frames=None) -> ModelError:
    with pytest.raises(ModelError) as info:
        Model.from_rows(rows, frames=frames)
    message = str(info.value)
    for part in parts:
        assert part in message, (part, message)
    return info.value


def pandera_rejects(table: s.Table, frame: pl.DataFrame) -> bool:
    try:
        table.schema.validate(frame, lazy=True)
    except (pandera.errors.SchemaErrors, pandera.errors.SchemaError):
        return True
    return False


# --- each kind of value check, caught by the fast path --------------------------------------------------------

# (table, row match, column, bad value, parts of the message): bounds (ge, gt, le), isin, null, non-finite.
BAD_VALUES = [
    ("jobs", {"job_id": "streaming"}, "data_transferred", -5.0, ("Job 'streaming'", "data_transferred", "-5.0", ">= 0")),
    ("devices", {"device_id": "Default-laptop"}, "lifespan", 0.0, ("Device 'Default-laptop'", "lifespan", "0.0", "> 0")),
    ("devices", {"device_id": "Default-laptop"}, "fraction_of_usage_time", 1.5,
     ("Device 'Default-laptop'", "fraction_of_usage_time", "1.5", "<= 1")),
    ("servers", {"server_id": "server"}, "power_usage_effectiveness", 0.5,
     ("Server 'server'", "power_usage_effectiveness", "0.5", ">= 1")),
    ("servers", {"server_id": "server"}, "server_type", "cloud", ("Server 'server'", "server_type", "'cloud'", "one of")),
    ("jobs", {"job_id": "streaming"}, "job_class", "BatchJob", ("Job 'streaming'", "job_class", "'BatchJob'", "one of")),
    ("storages", {"storage_id": "SSD-storage"}, "lifespan", None, ("Storage 'SSD-storage'", "lifespan", "None", "a value")),
    ("countries", {"country_id": "France"}, "timezone", None, ("Country 'France'", "timezone", "None", "a value")),
    ("networks", {"network_id": "WIFI-network"}, "bandwidth_energy_intensity", float("nan"),
     ("Network 'WIFI-network'", "bandwidth_energy_intensity", "nan", "finite")),
    ("step_jobs", {"job_id": "video-upload"}, "weight", -1.0,
     ("UsageJourneyStep '1-min-video-capture-then-upload'", "jobs['video-upload'].weight", "-1.0", ">= 0")),
    ("pattern_journeys", {"usage_pattern_id": PATTERN}, "weight", 0.0,
     (f"UsagePattern {PATTERN!r}", "usage_journeys['Mean-video-consumption-user-journey'].weight", "0.0", "> 0")),
]


@pytest.mark.parametrize("table, match, column, value, parts", BAD_VALUES,
                         ids=[f"{t}.{c}={v}" for t, _, c, v, _ in BAD_VALUES])
def test_value_check_caught_by_fast_path(rows, table, match, column, value, parts):
    row(rows, table, **match)[column] = value
    rejected(rows, *parts)
    # the declared pandera schema rejects it too (NaN passes pandera's bounds: finiteness is ours only)
    if not (isinstance(value, float) and value != value):
        frame = pl.DataFrame(rows[table], schema=s.BY_NAME[table].columns, orient="row")
        assert pandera_rejects(s.BY_NAME[table], frame)


def test_negative_hourly_occurrence_names_pattern_and_hour(rows):
    rows["hourly_occurrences"] = rows["hourly_occurrences"].with_columns(
        occurrences=pl.when(pl.int_range(pl.len()) == 5).then(-2.0).otherwise(pl.col("occurrences")))
    rejected(rows, f"UsagePattern {PATTERN!r}", "hourly_occurrences[2025-01-01 05:00]", "-2.0", ">= 0")


def test_duplicate_object_id(rows):
    rows["jobs"].append(dict(row(rows, "jobs", job_id="streaming"), name="another"))
    rejected(rows, "Job 'streaming'", "job_id", "an id used by a single Job")
    frame = pl.DataFrame(rows["jobs"], schema=s.JOBS.columns, orient="row")
    assert pandera_rejects(s.JOBS, frame)


def test_duplicate_edge_key(rows):
    rows["step_jobs"].append(dict(row(rows, "step_jobs", job_id="video-upload"), position=7))
    rejected(rows, "UsageJourneyStep '1-min-video-capture-then-upload'", "jobs", "'video-upload'", "listed once")


def test_duplicate_hour(rows):
    hourly = rows["hourly_occurrences"]
    rows["hourly_occurrences"] = pl.concat([hourly, hourly.slice(10, 1)])
    rejected(rows, f"UsagePattern {PATTERN!r}", "hourly_occurrences", "2025-01-01 10:00", "one value per hour")


# The key checks of the hourly series run on their runs (blocks of rows of one pattern): rows in any order, repeated
# or missing hours are still found.
def test_hourly_rows_in_any_order_are_accepted(rows):
    rows["hourly_occurrences"] = rows["hourly_occurrences"].sample(fraction=1.0, shuffle=True, seed=1)
    Model.from_rows(rows)


def test_duplicate_hour_among_shuffled_rows(rows):
    hourly = rows["hourly_occurrences"]
    rows["hourly_occurrences"] = pl.concat([hourly, hourly.slice(10, 1)]).sample(fraction=1.0, shuffle=True, seed=2)
    rejected(rows, f"UsagePattern {PATTERN!r}", "hourly_occurrences", "2025-01-01 10:00", "one value per hour")


def test_a_series_split_in_two_runs_is_one_series(rows):
    hourly = rows["hourly_occurrences"]
    rows["hourly_occurrences"] = pl.concat([hourly.slice(100), hourly.slice(0, 100)])  # later hours first
    assert Model.from_rows(rows).hourly_occurrences.height == hourly.height


def test_a_missing_hour_is_a_gap(rows):
    hourly = rows["hourly_occurrences"]
    rows["hourly_occurrences"] = pl.concat([hourly.slice(0, 10), hourly.slice(11)])
    rejected(rows, f"UsagePattern {PATTERN!r}", "hourly_occurrences", f"{hourly.height - 1} values over "
             f"{hourly.height} hours", "without gaps")


def test_hourly_rows_of_an_unknown_pattern_in_the_middle(rows):
    hourly = rows["hourly_occurrences"]
    ghost = hourly.slice(5, 3).with_columns(usage_pattern_id=pl.lit("ghost"))
    rows["hourly_occurrences"] = pl.concat([hourly.slice(0, 5), ghost, hourly.slice(8)])
    rejected(rows, "hourly_occurrences row {usage_pattern_id: 'ghost'", "the id of an existing UsagePattern")


def test_dangling_link(rows):
    row(rows, "step_jobs", job_id="video-upload")["job_id"] = "ghost-job"
    rejected(rows, "UsageJourneyStep '1-min-video-capture-then-upload'", "jobs", "'ghost-job'", "an existing Job")


def test_link_to_wrong_table_is_a_dangling_link(rows):
    """A cycle needs a link to the wrong class: a journey listing a journey as its step is rejected."""
    row(rows, "journey_steps", step_id="20-min-streaming")["step_id"] = "Mean-video-consumption-user-journey"
    rejected(rows, "UsageJourney 'Mean-video-consumption-user-journey'", "uj_steps",
             "'Mean-video-consumption-user-journey'", "an existing UsageJourneyStep")


def test_unknown_system_id(rows):
    row(rows, "devices", device_id="Default-laptop")["system_id"] = "Other-system"
    rejected(rows, "Device 'Default-laptop'", "system_id", "'Other-system'", "a system of the model")


def test_row_value_of_wrong_type(rows):
    row(rows, "jobs", job_id="streaming")["data_transferred"] = "5 MB"
    rejected(rows, "Job 'streaming'", "data_transferred", "'5 MB'", "a number")
    row(rows, "jobs", job_id="streaming")["data_transferred"] = True
    rejected(rows, "Job 'streaming'", "data_transferred", "True", "a number")


def test_row_with_unknown_column(rows):
    row(rows, "devices", device_id="Default-laptop")["colour"] = "grey"
    rejected(rows, "Device 'Default-laptop'", "colour", "'grey'", "a column of table 'devices'")


# --- ready frames -----------------------------------------------------------------------------------------

def test_frames_argument_is_cast_to_the_schema(rows, quickstart_rows):
    reference = Model.from_rows(quickstart_rows)
    hourly = rows.pop("hourly_occurrences").with_columns(pl.col("hour").cast(pl.Int32),
                                                         pl.col("occurrences").cast(pl.Float32))
    model = Model.from_rows(rows, frames={"hourly_occurrences": hourly})
    assert model.hourly_occurrences.schema == pl.Schema(s.HOURLY_OCCURRENCES.columns)
    assert model.hourly_occurrences.equals(reference.hourly_occurrences.with_columns(
        pl.col("occurrences").cast(pl.Float32).cast(pl.Float64)))


def test_frames_lossy_cast_rejected(rows):
    hourly = rows.pop("hourly_occurrences").with_columns(pl.col("hour").cast(pl.Float64) + 0.5)
    rejected(rows, f"UsagePattern {PATTERN!r}", "hour", "a whole number", frames={"hourly_occurrences": hourly})


def test_frames_wrong_columns_rejected(rows):
    hourly = rows.pop("hourly_occurrences")
    rejected(rows, "occurrences", "missing", frames={"hourly_occurrences": hourly.drop("occurrences")})
    rejected(rows, "extra", "unknown column",
             frames={"hourly_occurrences": hourly.with_columns(extra=pl.lit(1))})
    rejected(rows, "occurrences", "String",
             frames={"hourly_occurrences": hourly.with_columns(pl.col("occurrences").cast(pl.String))})


def test_wrong_dtype_in_a_model_built_directly(quickstart_rows):
    model = Model.from_rows(quickstart_rows)
    tables = dict(model.items())
    tables["devices"] = tables["devices"].with_columns(pl.col("power").cast(pl.String))
    with pytest.raises(ModelError) as info:
        Model(**tables).validated()
    assert "power" in str(info.value) and "Float64" in str(info.value)


# --- pandera agreement and speed ----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pandera_and_fast_path_agree_on_reference_models(scenario):
    model = Model.from_rows(rows_of(scenario))  # the fast path passes
    for table in s.TABLES:
        table.schema.validate(model.table(table.name), lazy=True)  # pandera's full validation passes too

