"""Sweeps: every variant's totals equal efootprint's live model with the same inputs changed."""
import itertools
import json
import random

import polars as pl
import pytest

from conftest import REFERENCE
from efootprint_live import LiveModel
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables import sweeps
from efp_tables.sweeps import TOTAL_COLUMNS, chunk_cost, parse_grid, sweep, sweep_partition, sweep_to_parquet
from sweep_grids import EDGE_GRID, QUICKSTART_GRID

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


def test_sampled_variants_of_the_edge_grid_equal_efootprint_live_model():
    """The benchmark's edge grid: spans, a component's compute and a kiosk's power (blocks shared between
    the variants that have the same) and the country's carbon intensity (scaled sums)."""
    result = sweep(read_model(REFERENCE / "edge_fleet.json"), EDGE_GRID)
    assert result.height == 8 * 3 * 4 * 5
    live = LiveModel(REFERENCE / "edge_fleet.json")
    for row in random.Random(16).sample(result.rows(named=True), 12):
        for name in EDGE_GRID:
            live.set(name, row[name])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row
        assert row["edgedevices_use_kg"] > 0 and row["edgedevices_manufacturing_kg"] > 0


def test_baseline_variant_equals_the_reference_total():
    grid = {"variants": [{"server.average_carbon_intensity": "100 g/kWh"}, {"SSD-storage.lifespan": "4 year"}]}
    result = sweep(read_model(QUICKSTART), grid)
    assert result["total_footprint_kg"][0] == pytest.approx(11_374_527, rel=1e-6)  # the model's own inputs
    assert result["SSD-storage.lifespan"][0] == "baseline"
    live = LiveModel(QUICKSTART)
    live.set("SSD-storage.lifespan", "4 year")
    assert result["total_footprint_kg"][1] == pytest.approx(live.total_kg(), rel=1e-6)


def test_a_sweep_of_one_side_keeps_the_other_sides_job_starts():
    # Regression: the web and the edge job starts were stacked with the sweep dimension of one side only, the
    # other side's rows had it null and matched no later join: genai_assistant's servers and storage were off
    # (its total by 3e-5) in any sweep of a web step's time or of the edge pattern's usage span.
    path = REFERENCE / "genai_assistant.json"
    grid = {"Chat-with-the-assistant.user_time_spent": ["8 min", "12 min"],
            "Meeting-rooms-in-France.usage_span": ["1 year", "2 year"]}
    result = sweep(read_model(path), grid)
    for row in result.rows(named=True):
        live = LiveModel(path)
        for name in grid:
            live.set(name, row[name])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row


def test_every_input_swept_at_its_own_value_gives_the_models_total(capsys):
    path = REFERENCE / "genai_assistant.json"  # web, edge and external API jobs in one model
    model = read_model(path)
    total = compute(model).total_footprint_kg()["Writing-assistant"]
    main(["describe", str(path), "--json"])
    grid = json.loads(capsys.readouterr().out)
    assert len(grid) > 50
    wrong = {name: sweep(model, {name: values})["total_footprint_kg"][0] for name, values in grid.items()}
    assert {name: kg for name, kg in wrong.items() if kg != pytest.approx(total, rel=1e-9)} == {}


def test_a_service_sweep_keeps_the_jobs_without_a_service():
    # Regression: a left join onto a varied services table gave the plain jobs a null variant dimension, and
    # they dropped out of every later join (the baseline value gave 8.9e6 kg instead of 11.4e6).
    grid = {"Video-streaming-service.bits_per_pixel": ["0.1 bit", "0.05 bit"],
            "Video-streaming-service.base_ram_consumption": ["2 GB_ram", "60 GB_ram"]}
    result = sweep(read_model(QUICKSTART), grid)
    assert result["total_footprint_kg"][0] == pytest.approx(11_374_527, rel=1e-6)
    for row in result.rows(named=True)[1:]:
        live = LiveModel(QUICKSTART)
        for name in grid:
            live.set(name, row[name])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row


def test_a_job_and_a_service_swept_together_match_efootprint():
    # Regression: the jobs and the services each carried a dimension of their own, and the left join of the
    # services onto the jobs asked the services for the jobs' dimension (a ColumnNotFoundError).
    grid = {"video-upload.data_transferred": ["20 MB", "50 MB"],
            "Video-streaming-service.bits_per_pixel": ["0.1 bit", "0.05 bit"]}
    result = sweep(read_model(QUICKSTART), grid)
    assert result.height == 4
    for row in result.rows(named=True):
        live = LiveModel(QUICKSTART)
        for name in grid:
            live.set(name, row[name])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row


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


def test_intensities_scaled_at_the_end_match_efootprint():
    """The inputs that a sweep keeps out of its hourly frames (sweeps.Footprint.scale): the country's carbon
    intensity (network and devices), the device's power, lifespan and manufacturing footprint, the network's
    energy intensity and the storage's manufacturing footprint and lifespan."""
    grid = {"France.average_carbon_intensity": ["20 g/kWh", "400 g/kWh"],
            "Default-laptop.power": ["20 W", "80 W"], "Default-laptop.lifespan": ["3 year", "8 year"],
            "Default-laptop.carbon_footprint_manufacturing": ["100 kg", "300 kg"],
            "WIFI-network.bandwidth_energy_intensity": ["0.01 kWh/GB", "0.1 kWh/GB"],
            "SSD-storage.carbon_footprint_manufacturing_per_storage_capacity": ["100 kg/TB_stored", "200 kg/TB_stored"]}
    result = sweep(read_model(QUICKSTART), grid)
    assert result.height == 64
    live = LiveModel(QUICKSTART)
    for row in random.Random(5).sample(result.rows(named=True), 8) + [result.row(63, named=True)]:
        for name in grid:
            live.set(name, row[name])
        assert row["total_footprint_kg"] == pytest.approx(live.total_kg(), rel=1e-6), row
    low, high = result.row(0, named=True), result.row(63, named=True)
    for category in ("network_use_kg", "devices_use_kg", "devices_manufacturing_kg", "storage_manufacturing_kg"):
        assert high[category] > low[category] > 0, category


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


@pytest.mark.parametrize(("grid", "message"), [
    ({"server.average_carbon_intensty": ["1 g/kWh"]}, "did you mean 'average_carbon_intensity'?"),
    ({"sever.power": ["1 W"]}, "(no object 'sever'; did you mean 'server'?)"),
    ({"Mean-video-consumption-user-journey.weight": [1]}, "expected a structural input among ['uj_steps']"),
])
def test_grid_typos_are_told_with_the_closest_name(grid, message, tmp_path, capsys):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(grid))
    assert main(["sweep", str(QUICKSTART), "--grid", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "[]" not in err
    assert not (tmp_path / "out").exists()


def test_a_plain_server_lists_no_gpu_attribute(tmp_path, capsys):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"server.gpu_power": ["400 W/gpu"]}))
    assert main(["sweep", str(QUICKSTART), "--grid", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Server 'server': sweep parameter = 'gpu_power'" in err and "'idle_power'" in err
    assert "gpu" not in err.partition("expected")[2].replace("'gpu_power'", "")


def test_sweep_command_writes_one_row_per_variant(tmp_path, capsys):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"server.average_carbon_intensity": ["100 g/kWh", "300 g/kWh"],
                                "SSD-storage.lifespan": ["4 year", "6 year"]}))
    assert main(["sweep", str(QUICKSTART), "--grid", str(grid), "--out", str(tmp_path / "out"),
                 "--chunk-size", "3"]) == 0
    assert capsys.readouterr().err == ""  # no progress bar when stderr is not a terminal
    result = pl.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert result.columns[:4] == ["variant", "server.average_carbon_intensity", "SSD-storage.lifespan",
                                  "total_footprint_kg"]
    assert result.height == 4 and result["total_footprint_kg"][1] == pytest.approx(11_374_527, rel=1e-6)
    import pyarrow.parquet as pq
    assert pq.read_schema(tmp_path / "out" / "sweep.parquet").field("total_footprint_kg").metadata == {
        b"unit": b"kilogram"}
    assert not (tmp_path / "out" / "hourly").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"server.average_carbon_intensity": ["100 kg"]}))
    assert main(["sweep", str(QUICKSTART), "--grid", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())


def test_sweep_of_an_api_system():
    from efp_tables.quickstart import quickstart_system
    result = sweep(quickstart_system(), {"server.average_carbon_intensity": ["100 g/kWh", "200 g/kWh"]})
    assert result["total_footprint_kg"][0] == pytest.approx(11_374_527, rel=1e-6)
    assert result["total_footprint_kg"][1] > result["total_footprint_kg"][0]


SMALL_GRID = {"server.average_carbon_intensity": ["100 g/kWh", "0.1 kg/kWh", "300 g/kWh"],  # two equal values
              "SSD-storage.lifespan": ["4 year", "6 year"], "video-upload.data_transferred": ["5 MB", "20 MB"]}


def test_a_grid_decodes_variant_numbers_without_expanding_it():
    plan = parse_grid(read_model(QUICKSTART), SMALL_GRID)
    assert plan.explicit is None and len(plan) == 12
    product = list(itertools.product([0, 0, 1], [0, 1], [0, 1]))  # value indices: "0.1 kg/kWh" is "100 g/kWh"
    assert plan.variants(0, 12).drop("variant").rows() == product
    assert plan.variants(5, 9)["variant"].to_list() == [5, 6, 7, 8]
    for start, stop in [(0, 1), (3, 5), (3, 9), (7, 12), (0, 12)]:
        expected = {column: sorted({row[i] for row in product[start:stop]})
                    for i, column in enumerate(plan.variants(0, 1).columns[1:])}
        assert plan.used_values(start, stop) == expected, (start, stop)


def test_chunks_give_the_same_rows_as_one_chunk():
    model = read_model(QUICKSTART)
    whole = sweep(model, SMALL_GRID, chunk_size=12)
    assert whole["total_footprint_kg"][0] == whole["total_footprint_kg"][4]  # 100 g/kWh == 0.1 kg/kWh
    for chunked in (sweep(model, SMALL_GRID, chunk_size=5), sweep(model, SMALL_GRID, memory_limit=1)):
        assert chunked.drop(TOTAL_COLUMNS, "total_footprint_kg").equals(whole.drop(TOTAL_COLUMNS,
                                                                                   "total_footprint_kg"))
        for column in ["total_footprint_kg", *TOTAL_COLUMNS]:  # stages sum in parallel: the last bit may differ
            assert chunked[column].to_list() == pytest.approx(whole[column].to_list(), rel=1e-12, abs=1e-9)
    with pytest.raises(ModelError, match="chunk_size"):
        sweep(model, SMALL_GRID, chunk_size=0)
    partition = sweep_partition(model, parse_grid(model, SMALL_GRID), 3, 8)  # what a worker runs
    assert partition.drop(TOTAL_COLUMNS, "total_footprint_kg").equals(
        whole.slice(3, 5).drop(TOTAL_COLUMNS, "total_footprint_kg"))
    assert partition["total_footprint_kg"].to_list() == pytest.approx(whole["total_footprint_kg"][3:8].to_list(),
                                                                      rel=1e-12)


def test_a_sweep_that_fits_runs_as_one_chunk(monkeypatch):
    model = read_model(QUICKSTART)
    grid = {name: values[:3] for name, values in QUICKSTART_GRID.items()}  # 81 variants
    chunked = sweep(model, grid, chunk_size=10)
    chunks, partition = [], sweeps._partition
    monkeypatch.setattr(sweeps, "_partition", lambda *args: chunks.append(args[2:4]) or partition(*args))
    whole = sweep(model, grid)
    assert chunks == [(0, 81)]
    assert whole.drop(TOTAL_COLUMNS, "total_footprint_kg").equals(chunked.drop(TOTAL_COLUMNS, "total_footprint_kg"))
    assert whole["total_footprint_kg"].to_list() == pytest.approx(chunked["total_footprint_kg"].to_list(), rel=1e-12)


def test_a_sweep_past_its_memory_limit_runs_in_chunks(monkeypatch):
    """Utilization gives the servers' blocks several versions: past a tiny memory limit, every variant is a chunk
    of its own, with the same totals."""
    model = read_model(QUICKSTART)
    grid = {name: values[:2] for name, values in QUICKSTART_GRID.items()}  # 16 variants
    chunks, partition = [], sweeps._partition
    monkeypatch.setattr(sweeps, "_partition", lambda *args: chunks.append(args[2:4]) or partition(*args))
    limited = sweep(model, grid, memory_limit=1)
    assert chunks == [(v, v + 1) for v in range(16)]
    whole = sweep(model, grid, chunk_size=16)
    assert limited["total_footprint_kg"].to_list() == pytest.approx(whole["total_footprint_kg"].to_list(), rel=1e-12)


def test_a_storage_duration_sweep_windows_each_version(monkeypatch):
    """A storage duration sweep gives the stored data's window sums one block row per duration: chunked, each
    chunk only computes the durations its variants use."""
    model = read_model(QUICKSTART)
    grid = {"SSD-storage.data_storage_duration": ["1 month", "6 month", "1 year", "2 year"]}
    cost = chunk_cost(model, parse_grid(model, grid), hourly=False)
    assert cost.stage_dims["full_cumulative_storage_need_per_job"] == {"variant_0"}
    assert cost(parse_grid(model, grid), 0, 4) > cost(parse_grid(model, grid), 0, 2) > cost(parse_grid(model, grid), 0, 1)
    limited = sweep(model, grid, memory_limit=1)
    whole = sweep(model, grid, chunk_size=4)
    assert limited["total_footprint_kg"].to_list() == pytest.approx(whole["total_footprint_kg"].to_list(), rel=1e-12)
    assert len(set(whole["total_footprint_kg"].to_list())) == 4


def test_chunk_size_follows_the_memory_limit():
    model = read_model(QUICKSTART)
    plan = parse_grid(model, QUICKSTART_GRID)
    cost = chunk_cost(model, plan, hourly=False)
    # The blocks vary with what changes hours: server instances and energy with utilization only. The carbon
    # intensity, the storage lifespan and the upload size only scale activities (intensities of the key tables).
    assert cost.stage_dims["server_energy"] == {"variant_1"}
    assert cost.stage_dims["server_footprints"] == {"variant_1"}
    assert cost.stage_dims["storage_instances"] == set()
    assert cost.stage_dims["storage_footprints"] == set()
    assert cost.stage_dims["job_hourly_avg_occurrences_per_usage_pattern"] == set()
    assert cost.stage_dims["nb_journeys_in_parallel_per_usage_pattern"] == set()
    assert cost.stage_dims["device_footprints"] == set()
    one_utilization = cost(plan, 0, 100)
    assert cost(plan, 0, 1000) > one_utilization > cost(plan, 0, 1)
    stop = cost.largest_stop(plan, 0, one_utilization)
    assert stop >= 100 and cost(plan, 0, stop + 1) > one_utilization
    assert cost.largest_stop(plan, 40, 1) == 41  # at least one variant per chunk
    assert cost.largest_stop(plan, 0, cost(plan, 0, 1000)) == 1000


def test_sweep_to_parquet_writes_chunk_by_chunk_and_leaves_nothing_on_failure(tmp_path):
    model = read_model(QUICKSTART)
    assert sweep_to_parquet(model, SMALL_GRID, tmp_path / "sweep.parquet", chunk_size=5) == 12
    written = pl.read_parquet(tmp_path / "sweep.parquet")
    assert written.columns == sweep(model, SMALL_GRID).columns and written["variant"].to_list() == list(range(12))
    import pyarrow.parquet as pq
    assert pq.ParquetFile(tmp_path / "sweep.parquet").num_row_groups == 3

    chunks = []

    def failing_on_the_second_chunk(frame):
        if "variant" in frame.columns:  # the totals (hourly rows go per variant, without the column)
            chunks.append(frame.height)
        if len(chunks) == 2:
            raise RuntimeError("disk full")
        return frame.to_arrow()

    with pytest.raises(RuntimeError, match="disk full"):
        sweep_to_parquet(model, SMALL_GRID, tmp_path / "failed" / "sweep.parquet", chunk_size=5,
                         hourly_folder=tmp_path / "failed" / "hourly", to_arrow=failing_on_the_second_chunk)
    assert chunks == [5, 5] and list((tmp_path / "failed").iterdir()) == []


def test_progress_counts_variants_done_on_stderr_when_asked(capsys):
    model = read_model(QUICKSTART)
    sweep(model, SMALL_GRID, chunk_size=5, progress=True)
    shown = capsys.readouterr().err
    assert "5/12" in shown and "10/12" in shown and "12/12" in shown and "variant" in shown
    sweep(model, SMALL_GRID, chunk_size=5)
    assert capsys.readouterr().err == ""


def test_hourly_footprints_per_variant_sum_to_the_totals_and_equal_compute(tmp_path):
    from efp_tables.compute import compute
    from efp_tables.simulations import changed_model
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(SMALL_GRID))
    out = tmp_path / "out"
    assert main(["sweep", str(QUICKSTART), "--grid", str(grid), "--out", str(out), "--hourly",
                 "--chunk-size", "5"]) == 0
    assert sorted(p.name for p in (out / "hourly").iterdir()) == sorted(f"variant={v}" for v in range(12))
    hourly = pl.scan_parquet(out / "hourly" / "**" / "*.parquet", hive_partitioning=True).collect()
    assert hourly.schema["hour_utc"] == pl.Datetime("us", "UTC")
    totals = pl.read_parquet(out / "sweep.parquet")
    sums = hourly.group_by("variant").agg(pl.col("total_footprint_kg").sum()).sort("variant")
    assert sums["variant"].to_list() == list(range(12))
    assert sums["total_footprint_kg"].to_list() == pytest.approx(totals["total_footprint_kg"].to_list(), rel=1e-9)

    model = read_model(QUICKSTART)
    row = totals.row(7, named=True)
    expected = (compute(changed_model(model, {name: row[name] for name in SMALL_GRID})).long()
                .filter(object_class="System", attribute="total_footprint")
                .select(pl.col("hour").dt.replace_time_zone("UTC").alias("hour_utc"), pl.col("value")))
    ours = hourly.filter(variant=7).select("hour_utc", "total_footprint_kg")
    both = expected.join(ours, on="hour_utc", how="full", coalesce=True).fill_null(0.0)
    assert both.height == expected.height > 20_000
    assert both["total_footprint_kg"].to_list() == pytest.approx(both["value"].to_list(), rel=1e-9, abs=1e-9)


ECOMMERCE = REFERENCE / "ecommerce.json"
STRUCTURAL_VARIANTS = [
    {"Read-product-catalog.server": "Web-application-server"},
    {"Product-database-server.server_type": "serverless", "Web-application-server.average_carbon_intensity":
        "300 g/kWh"},
    {"Shopping-journey.uj_steps": ["Browse-the-catalog", "Browse-the-catalog", "Check-out"]},
    {"Web-application-server.average_carbon_intensity": "300 g/kWh"},
    {"Read-product-catalog.server": "Web-application-server", "Web-application-server.server_type": "serverless"},
]


def _live_total(path, changes: dict) -> float:
    live = LiveModel(path)  # a fresh model: each variant changes only what it names
    for name, value in changes.items():
        if name.endswith("average_carbon_intensity"):
            live.set(name, value)
        elif value != "baseline":
            live.link(name, value)
    return live.total_kg()


def test_structural_variants_equal_efootprint_live_model():
    result = sweep(read_model(ECOMMERCE), {"variants": STRUCTURAL_VARIANTS}, chunk_size=2)
    assert result["variant"].to_list() == list(range(5))
    assert result["Read-product-catalog.server"].to_list() == ["Web-application-server", "baseline", "baseline",
                                                               "baseline", "Web-application-server"]
    assert len(set(result["total_footprint_kg"].round(3))) == 5  # every change changes the total
    for variant, changes in enumerate(STRUCTURAL_VARIANTS):
        assert result["total_footprint_kg"][variant] == pytest.approx(_live_total(ECOMMERCE, changes),
                                                                      rel=1e-6), changes
    from efp_tables.compute import compute
    from efp_tables.simulations import changed_model
    [moved] = compute(changed_model(read_model(ECOMMERCE), STRUCTURAL_VARIANTS[4])).total_footprint_kg().values()
    assert moved == pytest.approx(result["total_footprint_kg"][4], rel=1e-12)


def test_a_grid_of_structural_changes_matches_efootprint():
    grid = {"Read-product-catalog.server": ["Product-database-server", "Web-application-server"],
            "Product-database-server.server_type": ["on-premise", "serverless"]}
    result = sweep(read_model(ECOMMERCE), grid)
    assert result.select(*grid).rows() == [("Product-database-server", "on-premise"),
                                           ("Product-database-server", "serverless"),
                                           ("Web-application-server", "on-premise"),
                                           ("Web-application-server", "serverless")]
    for row in result.iter_rows(named=True):
        assert row["total_footprint_kg"] == pytest.approx(_live_total(ECOMMERCE, {n: row[n] for n in grid}),
                                                          rel=1e-6), row


@pytest.mark.parametrize(("variant", "message"), [
    ({"Read-product-catalog.server": "nope"}, r"Job 'Read-product-catalog': server = 'nope'.*id of a Server"),
    ({"Read-product-catalog.server": "Shopping-journey"}, r"server = 'Shopping-journey'.*id of a Server"),
    ({"Read-product-catalog.storage": "x"}, r"Job 'Read-product-catalog'.*storage.*numeric input.*structural"),
    ({"Product-database-server.server_type": "cloud"}, r"server_type = 'cloud'.*one of \['autoscaling'"),
    ({"Shopping-journey.uj_steps": ["Browse-the-catalog", "Serve-catalog-page"]},
     r"uj_steps = 'Serve-catalog-page'.*id of a UsageJourneyStep"),
    ({"Shopping-journey.uj_steps": []}, r"uj_steps = \[\].*non-empty list"),
    ({"Web-application-server.storage": "Product-database-storage"},
     r"Storage 'Product-database-storage'.*single server"),
])
def test_bad_structural_changes_fail_before_computing(variant, message):
    with pytest.raises(ModelError, match=message):
        parse_grid(read_model(ECOMMERCE), {"variants": [variant]})


def test_a_video_streaming_job_has_no_server_to_move():
    with pytest.raises(ModelError, match=r"streaming-job.*server.*VideoStreamingJob has \(its server_id is empty"):
        parse_grid(read_model(QUICKSTART), {"variants": [{"streaming-job.server": "server"}]})


@pytest.mark.parametrize("packed", [True, False])
def test_block_dimensions_are_those_whose_values_hold_other_block_rows(monkeypatch, packed):
    """A dimension varies a stage's blocks when rows equal in everything else (ids, the other dimensions) hold more
    than one block row: block_dimensions against that definition in Python, on random key tables, with the codes
    packed in one integer and combined a column at a time."""
    from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly
    if not packed:
        monkeypatch.setattr(sweeps, "_PACKED_CODES", 0)
    rng, varied = random.Random(5), 0
    for case in range(300):
        n, dims = rng.randint(1, 30), [f"variant_{name}" for name in rng.sample("abcd", rng.randint(1, 3))]
        columns = {"system_id": [rng.choice(["s", "t"]) for _ in range(n)],
                   "job_id": [rng.choice(["j1", "j2", "j3"]) for _ in range(n)],
                   **{d: [None if rng.random() < 0.1 else rng.randrange(3) for _ in range(n)] for d in dims},
                   FIRST: [0] * n, LAST: [0] * n, ROW: [rng.randrange(4) for _ in range(n)]}
        keys = pl.DataFrame(columns, schema={"system_id": pl.String, "job_id": pl.String, **{d: pl.Int32 for d in dims},
                                             FIRST: pl.Int64, LAST: pl.Int64, ROW: pl.Int64})
        expected = set()
        for d in dims:
            rows_of: dict[tuple, set] = {}
            for row in keys.iter_rows(named=True):
                rows_of.setdefault(tuple(row[c] for c in ["system_id", "job_id", *dims] if c != d), set()).add(row[ROW])
            if any(len(rows) > 1 for rows in rows_of.values()):
                expected.add(d)
        assert sweeps.block_dimensions(Hourly(keys, {}, 0)) == expected, case
        varied += bool(expected) and len(expected) < len(dims)
    assert varied > 20  # cases where some dimensions vary the blocks and others do not
